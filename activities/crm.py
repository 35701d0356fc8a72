"""CRM adapters: who the customer is (enrichment) and what we write back (fields, notes).

The local CRM lives in the control-plane database (activities.local_crm; seeded by
`convoflow crm import`); the REST CRM speaks to any HTTP CRM with a configurable base URL and auth
header. Lookups answer "unknown customer" for a 404, never an error; an unreachable CRM raises, and
the workflow carries on without enrichment and says so in its decision trail.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import aiohttp
from pydantic import ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.http_outcome import raise_for_status, unreachable
from activities.http_session import HttpSession
from activities.local_crm import LocalCrm
from engine.contracts.activities import CRM_WRITE, LOOKUP_CUSTOMER, Crm
from engine.contracts.crm import CrmWrite, Customer, CustomerQuery

__all__ = ["CrmActivities", "LocalCrm", "RestCrm"]

# A lookup holds a new conversation's rules (three tries): a CRM's Retry-After is followed this long at
# most, not the minutes a send may wait.
CRM_RETRY_AFTER = timedelta(seconds=10)

TIMEOUT = aiohttp.ClientTimeout(total=5)
# A customer's record is kept in the conversation's state (carried over every continue-as-new) and
# read by its rules; a lookup's result is recorded in history, where Temporal refuses more than 2 MB
# and the workflow task then fails at every attempt. A record past this is left out, and the
# conversation goes on without it, as when the CRM is down.
MAX_RECORD_BYTES = 64 * 1024


def too_large() -> ApplicationError:
    return ApplicationError(
        f"the CRM's record of this customer is larger than {MAX_RECORD_BYTES:,} bytes",
        type="CrmRecordTooLarge",
        non_retryable=True,
        category=ApplicationErrorCategory.BENIGN,  # one log line (http_outcome.py)
    )


def malformed(error: ValidationError) -> ApplicationError:
    """A record not of a customer's shape, named by its fields and what each lacks: pydantic's own
    message quotes the values (an address, an IBAN), which went into the worker's log and the trail."""
    fields = ((".".join(str(part) for part in e["loc"]), e["type"]) for e in error.errors()[:5])
    wrong = ", ".join(f"{where or 'the record'} ({what})" for where, what in fields)
    return ApplicationError(
        f"the CRM's record of this customer is not of a customer's shape: {wrong}",
        type="CrmRecordMalformed",
        non_retryable=True,  # the same record again would be as wrong
        category=ApplicationErrorCategory.BENIGN,  # one log line (http_outcome.py)
    )


class RestCrm:
    """GET {base}/customers?email=|phone=|external_id=, PATCH {base}/customers/{id}, POST .../notes."""

    def __init__(self, base_url: str, auth_header: str = "Authorization", token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = HttpSession(TIMEOUT, {auth_header: token} if token else {})

    async def lookup(self, query: CustomerQuery) -> Customer | None:
        for column in ("external_id", "email", "phone"):
            value = getattr(query, column)
            if not value:
                continue
            url = f"{self.base_url}/customers?{column}={quote(value)}"
            status, body = await self._call("GET", url, limit=MAX_RECORD_BYTES)
            if status == 404:
                continue
            try:
                return Customer.model_validate(body)
            except ValidationError as exc:
                raise malformed(exc) from None
        return None

    async def write(self, change: CrmWrite) -> bool:
        base = f"{self.base_url}/customers/{quote(change.customer_id)}"
        headers = {"Idempotency-Key": change.idempotency_key}
        if change.field:
            await self._call("PATCH", base, {change.field: change.value}, headers)
        if change.note:
            await self._call("POST", f"{base}/notes", {"text": change.note}, headers)
        return True

    async def close(self) -> None:
        await self._http.close()

    async def _call(
        self,
        method: str,
        url: str,
        payload: Any = None,
        headers: dict[str, str] | None = None,
        *,
        limit: int | None = None,
    ) -> tuple[int, Any]:
        """The answer's status and JSON body; a body over `limit` bytes is read no further than one
        byte past it."""
        try:
            async with self._http.get().request(method, url, json=payload, headers=headers) as response:
                if response.status == 404:
                    return 404, None
                raise_for_status(
                    response.status, "Crm", response.headers.get("Retry-After"), longest=CRM_RETRY_AFTER
                )
                if limit is None:
                    return response.status, await response.json(content_type=None)
                body = await _read_within(response, limit)
                return response.status, json.loads(body.decode(response.charset or "utf-8"))
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unreachable("Crm", exc) from None


async def _read_within(response: aiohttp.ClientResponse, limit: int) -> bytes:
    if (response.content_length or 0) > limit:
        raise too_large()
    body = bytearray()
    while len(body) <= limit:  # one byte past the limit is enough to know
        chunk = await response.content.read(limit + 1 - len(body))
        if not chunk:
            return bytes(body)
        body += chunk
    raise too_large()


class CrmActivities(Crm):
    def __init__(self, crm: LocalCrm | RestCrm | None) -> None:
        self._crm = crm

    async def close(self) -> None:
        """Close the REST CRM's HTTP session (the worker calls this when it shuts down)."""
        if isinstance(self._crm, RestCrm):
            await self._crm.close()

    @activity.defn(name=LOOKUP_CUSTOMER)
    async def lookup_customer(self, query: CustomerQuery) -> Customer | None:
        if self._crm is None:
            return None
        customer = await self._crm.lookup(query)
        # The local CRM's rows are imported CSV: a row of many long cells is bounded here.
        if customer is not None and len(customer.model_dump_json().encode()) > MAX_RECORD_BYTES:
            raise too_large()
        return customer

    @activity.defn(name=CRM_WRITE)
    async def crm_write(self, change: CrmWrite) -> bool:
        if self._crm is None:
            return False
        return await self._crm.write(change)
