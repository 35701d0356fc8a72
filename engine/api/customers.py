"""A data subject's requests over HTTP: a customer's records found, exported and erased (GDPR
articles 15 and 17), for a tenant's admin key; the erasures on record, for its auditors too.

Only the CLI served them (`convoflow customer`), on a host with the database's settings: a helpdesk's
privacy desk or the CRM that receives the request could not. Addresses travel in the body of a POST,
never in a URL (proxies and access logs keep URLs), and the answers are never kept for an
`Idempotency-Key` replay (engine/api/idempotency.py NEVER_KEPT): an export kept for 24 hours would
outlive the erasure that follows it. A repeat is harmless anyway: a search reads, and an erasure run
again finds nothing left, or finishes one that stopped.

Each request is one `convoflow.access` line (engine/api/content_reads.py) naming the key, never the
address. The erasure's record names the API key besides the `actor` the caller gives.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, Field, StrictBool, StringConstraints
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError

from engine.api.auth import KEY_ID, ROLE, TENANT
from engine.api.conversations import CLIENT, DATABASE, SETTINGS, read_body
from engine.api.email_intake import MAIL_INTAKE
from engine.api.errors import ApiError, Handler, check_parameters, invalid_field, unavailable
from engine.api.pages import PAGE_PARAMS, next_link, page_request
from engine.api.schemas import Strict
from engine.contracts.single_line import SINGLE_LINE
from engine.db.customer_index import wanted_forms
from engine.db.erasure import erasures_of
from engine.service import customer_export, customer_requests

routes = web.RouteTableDef()
access_log = logging.getLogger("convoflow.access")
ASKED = web.RequestKey("customer_request", str)
ERASING = web.AppKey("erasing", dict[str, asyncio.Lock])
Address = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320, pattern=SINGLE_LINE)
]


class CustomerAddresses(Strict):
    addresses: list[Address] = Field(
        min_length=1,
        max_length=customer_requests.MAX_ADDRESSES,
        description="The customer's email addresses, phone numbers (any written form: `+49 151 ...`, "
        "`0049151...`) and chat handles, each compared as the channels compare them.",
    )


class EraseCustomer(CustomerAddresses):
    actor: str | None = Field(
        default=None,
        max_length=80,
        pattern=SINGLE_LINE,
        description="Who asked (a case number, the officer): kept on the record.",
    )
    dry_run: StrictBool = Field(
        default=False, description="Only say what would be erased (200), erasing nothing."
    )


class FoundConversation(BaseModel):
    conversation_id: str
    channel: str
    first_seen_at: datetime


class CustomerRecordsView(BaseModel):
    """What the stores hold of the customer."""

    conversations: list[FoundConversation] = Field(description="Every conversation they wrote into.")
    crm_contacts: list[str] = Field(description="The local CRM's contacts with one of the addresses.")
    quarantined_mail: list[str] = Field(description="Held mail from them, not released (quarantine ids).")
    notes: list[str] = Field(
        description="What the search could not do as asked (a number without its country code, "
        "conversations begun before the index)."
    )
    written_into_others: list[str] | None = Field(
        default=None,
        description="A dry run's: conversations of other customers they wrote into, which an erasure "
        "keeps (absent when no worker answered whose they are).",
    )


class ErasureRecord(BaseModel):
    """An erasure as kept: no address, only the digests it was asked by."""

    erasure_id: str
    customer_keys: list[str] = Field(description="SHA-256 digests of the tenant and each address.")
    conversations: list[str] = Field(description="The conversation ids erased.")
    removed: dict[str, int] = Field(description="Workflow runs, mirror lines and rows removed, by store.")
    actor: str | None
    erased_at: datetime
    written_into_others: list[str] = Field(
        default_factory=list,
        description="Conversations of other customers they wrote into: those people's records, not erased.",
    )
    began_again: list[str] = Field(
        default_factory=list,
        description="Begun anew by a message while they were erased: send the request again.",
    )
    notes: list[str] = Field(
        default_factory=list, description="What the search could not do as asked (see the search)."
    )
    kept: list[str] = Field(
        default_factory=list,
        description="Stores left as they were: a retention sweep keeps the KPI facts (`kpi_facts`, "
        "`kpi_threads`), a customer's erasure keeps none.",
    )


class ErasureList(BaseModel):
    items: list[ErasureRecord] = Field(description="Newest first.")
    next: str | None = Field(description="The next page's link, or null.")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_plain, ensure_ascii=False)


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


async def _notes(request: web.Request, addresses: list[str]) -> list[str]:
    """What the search could not do as asked: numbers without their country code, conversations
    begun before the tenant's customer index."""
    notes = customer_requests.address_notes(addresses)
    try:
        app = request.app
        index = await customer_requests.index_note(app[CLIENT], app[DATABASE], request[TENANT])
    except RPCError:
        index = "Temporal did not answer: whether conversations begun before the index exist is unknown"
    return [*notes, index] if index else notes


async def _records(request: web.Request, addresses: list[str]) -> customer_requests.CustomerRecords:
    quarantine = request.app[MAIL_INTAKE].quarantine
    try:
        return await customer_requests.find(request.app[DATABASE], quarantine, request[TENANT], addresses)
    except customer_requests.CustomerRequestError as exc:
        raise invalid_field("addresses", str(exc)) from None


def _view(records: customer_requests.CustomerRecords, notes: list[str]) -> dict[str, Any]:
    shown = records.shown()
    for found in shown["conversations"]:
        found["first_seen_at"] = found["first_seen_at"].isoformat()
    return {**shown, "notes": notes}


def _logged(what: str) -> Callable[[Handler], Handler]:
    """One `convoflow.access` line per request, whatever its answer (a failed erasure may have
    deleted runs already), naming the key and what was asked, never an address."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def logged(request: web.Request) -> web.StreamResponse:
            status: int | str = "failed"
            try:
                answer = await handler(request)
                status = answer.status
                return answer
            except ApiError as exc:
                status = exc.status
                raise
            finally:
                access_log.info(
                    "customer request %s (%s) by key %s (%s, tenant %s): %s",
                    request.path,
                    request.get(ASKED, what),
                    request.get(KEY_ID, "?"),
                    request.get(ROLE, "?"),
                    request.get(TENANT, "?"),
                    status,
                )

        return logged

    return wrap


@routes.post("/v1/customers/search")
@_logged("search")
async def search_customer(request: web.Request) -> web.Response:
    """The customer's conversations, local CRM contacts and held mail (nothing they wrote)."""
    body = await read_body(request, CustomerAddresses)
    records = await _records(request, body.addresses)
    return web.json_response(_view(records, await _notes(request, body.addresses)))


@routes.post("/v1/customers/export")
@_logged("export")
async def export_customer(request: web.Request) -> web.Response:
    """Everything of the customer, as `convoflow customer export` writes it (the right of access)."""
    body = await read_body(request, CustomerAddresses)
    records = await _records(request, body.addresses)
    try:
        document = await customer_export.export(
            request.app[CLIENT],
            request.app[DATABASE],
            request.app[MAIL_INTAKE].quarantine,
            request[TENANT],
            records,
            body.addresses,
        )
    except (RPCError, WorkflowQueryFailedError, TimeoutError):
        raise unavailable(
            "export_unavailable", "no worker answered for the customer's conversations; retry"
        ) from None
    return web.json_response(document, dumps=_dumps)


@routes.post("/v1/customers/erasures")
@_logged("erasure")
async def erase_customer(request: web.Request) -> web.Response:
    """Erase everything of the customer from Temporal and the database (201 with the record);
    `dry_run` answers what would be erased (200)."""
    body = await read_body(request, EraseCustomer)
    if body.dry_run:
        request[ASKED] = "erasure, dry run"
        return await _dry_run(request, body.addresses)
    try:
        customer_requests.national_numbers(body.addresses)
    except customer_requests.NationalNumber as exc:
        raise invalid_field("addresses", str(exc)) from None
    notes = await _notes(request, body.addresses)
    key = f"key {request[KEY_ID]}"
    actor = f"{body.actor} ({key})" if body.actor else key
    # One erasure of a tenant at a time in this process: two at once raced each other's deletions.
    async with _erasing(request.app, request[TENANT]):
        try:
            record = await customer_requests.erase(
                request.app[CLIENT],
                request.app[DATABASE],
                request.app[MAIL_INTAKE].quarantine,
                request.app[SETTINGS],
                request[TENANT],
                body.addresses,
                actor,
                notes,
            )
        except customer_requests.CustomerRequestError as exc:
            raise invalid_field("addresses", str(exc)) from None
        except customer_requests.ErasureBlocked as exc:
            why = f"nothing erased: {exc}; retry once the workers run"
            raise unavailable("erasure_blocked", why) from None
        except (RPCError, TimeoutError):
            raise unavailable(
                "erasure_incomplete",
                "Temporal did not finish deleting the runs: send the same request again, it goes on "
                "from where it stopped",
            ) from None
    return web.json_response(ErasureRecord.model_validate(record).model_dump(mode="json"), status=201)


async def _dry_run(request: web.Request, addresses: list[str]) -> web.Response:
    """What an erasure would do: the records found, and which conversations are others' (kept)."""
    records = await _records(request, addresses)
    notes = await _notes(request, addresses)
    try:
        owners = await customer_requests.whose(request.app[CLIENT], request[TENANT], records.conversations)
    except (customer_requests.ErasureBlocked, RPCError):
        owners = None
        notes.append("no worker answered whose each conversation is: an erasure now would be refused")
    view = _view(records, notes)
    if owners is not None:
        wanted = wanted_forms(addresses)
        view["written_into_others"] = [
            c.conversation_id
            for c in records.conversations
            if not customer_requests.theirs(owners, c, wanted)
        ]
    return web.json_response(view)


@contextlib.asynccontextmanager
async def _erasing(app: web.Application, tenant: str) -> AsyncIterator[None]:
    async with app[ERASING].setdefault(tenant, asyncio.Lock()):
        yield


@routes.get("/v1/customers/erasures")
async def list_erasures(request: web.Request) -> web.Response:
    """The tenant's erasures, newest first: when, who asked, what was removed (no address)."""
    check_parameters(request, PAGE_PARAMS)
    page = page_request(request, position_length=2)
    after = None
    if page.after is not None:
        try:
            after = (datetime.fromisoformat(page.after[0]), str(page.after[1]))
        except (TypeError, ValueError):
            raise invalid_field("cursor", "not a cursor of this listing") from None
    records = await erasures_of(request.app[DATABASE], request[TENANT], limit=page.limit + 1, after=after)
    shown = records[: page.limit]
    link = None
    if len(records) > page.limit:
        last = shown[-1]
        link = next_link(request, page, [last["erased_at"].isoformat(), last["erasure_id"]])
    items = [ErasureRecord.model_validate(r).model_dump(mode="json") for r in shown]
    return web.json_response({"items": items, "next": link})
