"""Event subscriptions through the API: integrators subscribe their systems to conversation events.

Integrator and admin keys create, rotate, redeliver and delete; ops may read too (they are told when
one fails). The signing secret is in the answer to a create or a rotation once (`Cache-Control:
no-store`; an Idempotency-Key replay repeats everything but it). A URL must reach a public address
(engine/public_addresses.py), checked here and again at every delivery; `allow_private: true` is
accepted only for a tenant the deployment permits (CONVOFLOW_SUBSCRIPTION_PRIVATE_TENANTS).
Another tenant's subscription is a 404, like any id of another tenant.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from engine.api.auth import ROLE, TENANT
from engine.api.conversations import DATABASE, SETTINGS, read_body
from engine.api.errors import ApiError, check_parameters, invalid_field, named
from engine.api.pages import PAGE_PARAMS, next_link, page_request, paged, whole_number
from engine.api.roles import INTEGRATOR
from engine.contracts.events import EVENT_TYPES, EventType
from engine.contracts.ids import ID_PATTERN, is_safe_id
from engine.contracts.single_line import NOT_IN_A_LINE, SINGLE_LINE
from engine.db.delivery_attempts import attempts_of
from engine.db.event_deliveries import EventDeliveries
from engine.db.given_up_events import given_up
from engine.db.subscriptions import Subscription, Subscriptions
from engine.public_addresses import AddressRefused, check_url

routes = web.RouteTableDef()
SUBSCRIPTION_ID = r"^sub_[0-9a-f]{24}$"
MAX_OVERLAP_HOURS = 24 * 30
# A URL is one line without a space: a control character was stored as written, shown otherwise,
# sent to a path with it dropped, and a NUL answered 503 "retry" from PostgreSQL.
URL_TEXT = rf"^[^ {NOT_IN_A_LINE}]+$"


class CreateSubscription(BaseModel):
    """Where to deliver which events."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    url: str = Field(min_length=1, max_length=2048, pattern=URL_TEXT)
    """https:// URL on a public address (http:// only with `allow_private`)."""
    events: list[EventType] = Field(min_length=1, max_length=len(EVENT_TYPES))
    """The event types to deliver."""
    description: str = Field(default="", max_length=500, pattern=SINGLE_LINE)
    """One line, for the people who read the list."""
    allow_private: bool = Field(default=False, strict=True)
    """Deliver to a private address (a test receiver, an on-premises system); only for tenants the
    deployment permits."""


class ChangeSubscription(BaseModel):
    """What to change; one left out keeps its value. The id, the secret and the sequences stay."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    url: str | None = Field(default=None, min_length=1, max_length=2048, pattern=URL_TEXT)
    """A new receiver: the events still queued go there."""
    events: list[EventType] | None = Field(default=None, min_length=1, max_length=len(EVENT_TYPES))
    """The event types to deliver from now on (queued events stay queued)."""
    description: str | None = Field(default=None, max_length=500, pattern=SINGLE_LINE)
    allow_private: bool | None = Field(default=None, strict=True)
    paused: bool | None = Field(default=None, strict=True)
    """true: events queue and none is sent (the receiver's maintenance); false: they go out, in
    order, each with its full retry window from its first attempt."""


class RotateSubscriptionSecret(BaseModel):
    """Optional body of a rotation."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    overlap_hours: float = Field(default=24.0, ge=0, le=MAX_OVERLAP_HOURS, strict=True)
    """How long the previous secret keeps signing beside the new one; 0 retires it at once (a leak)."""


class SubscriptionView(BaseModel):
    """A subscription as shown (never its secrets)."""

    id: str
    url: str
    events: list[str]
    description: str
    allow_private: bool
    state: Literal["active", "failing"]
    failing_since: str | None
    previous_secret_retires_at: str | None
    earlier_secrets_retire_at: list[str] = Field(default_factory=list)
    """Secrets rotated out before the previous one, still signing until these times."""
    created_at: str
    paused: bool = False
    """Its events queue and none is sent (PATCH `paused`)."""
    paused_at: str | None = None
    queue: dict[str, int] | None = None
    """On a single subscription: its deliveries pending, delivered and given up (failed)."""


class SubscriptionWithSecret(SubscriptionView):
    """The answer to a create or a rotation: the signing secret, shown this once."""

    secret: str | None = None
    """Shown this once; an idempotent replay of the answer (`Idempotent-Replayed: true`) comes
    without it (it was required here, and the generated client failed on every replay)."""


class Deleted(BaseModel):
    """A subscription removed, with its queued deliveries."""

    id: str
    deleted: Literal[True]


class SubscriptionList(BaseModel):
    subscriptions: list[SubscriptionView]
    next: str | None


class DeliveryAttemptView(BaseModel):
    conversation_id: str
    sequence: int
    attempt: int
    event_id: str
    type: str
    at: str
    status_code: int | None
    error: str | None
    latency_ms: int
    next_retry_at: str | None


class DeliveryAttemptList(BaseModel):
    attempts: list[DeliveryAttemptView]
    next: str | None


class GivenUpView(BaseModel):
    """An event whose delivery was given up after its retry hours, with its last attempt."""

    conversation_id: str
    sequence: int
    event_id: str
    type: str
    attempts: int
    created_at: str
    last_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None


class GivenUpList(BaseModel):
    given_up: list[GivenUpView]
    next: str | None


class Redelivered(BaseModel):
    queued: int
    """How many events were queued again."""


def _subscription_id(request: web.Request) -> str:
    value = request.match_info["subscription_id"]
    if (
        len(value) != 28
        or not value.startswith("sub_")
        or not all(c in "0123456789abcdef" for c in value[4:])
    ):
        raise invalid_field("subscription_id", f"must match {SUBSCRIPTION_ID}")
    return value


async def _owned(request: web.Request) -> Subscription:
    sub_id = _subscription_id(request)
    found = await Subscriptions(request.app[DATABASE]).get(request[TENANT], sub_id)
    if found is None:
        raise ApiError(
            404,
            "subscription_not_found",
            f"no subscription {sub_id} in this tenant",
            named("subscription_id", f"no subscription {sub_id}"),
        )
    return found


def _with_secret(sub: Subscription) -> web.Response:
    # The one time the secret leaves the database: no cache (nor an idempotent replay) keeps it.
    return web.json_response(
        {**sub.shown(whole_url=True), "secret": sub.secret}, status=201, headers={"Cache-Control": "no-store"}
    )


async def _check_receiver(request: web.Request, url: str, allow_private: bool) -> None:
    """The checks a receiver's URL passes when a subscription is made or changed."""
    if allow_private and not request.app[SETTINGS].allows_private_subscriptions(request[TENANT]):
        raise invalid_field(
            "allow_private",
            "this tenant may not deliver to private addresses (the deployment's "
            "CONVOFLOW_SUBSCRIPTION_PRIVATE_TENANTS)",
        )
    try:
        await check_url(url, allow_private=allow_private)
    except AddressRefused as exc:
        raise invalid_field("url", str(exc)) from None
    if not allow_private and urlsplit(url).scheme != "https":  # a scheme is any case
        raise invalid_field("url", "an https:// URL (http:// only for a private receiver)")
    if "#" in url:  # never sent to the receiver, and shown unmasked where the rest was masked
        raise invalid_field("url", "a URL without a #fragment: a fragment is never sent to the receiver")


@routes.post("/v1/subscriptions")
async def create_subscription(request: web.Request) -> web.Response:
    body = await read_body(request, CreateSubscription)
    tenant = request[TENANT]
    await _check_receiver(request, body.url, body.allow_private)
    created = await Subscriptions(request.app[DATABASE]).create(
        tenant,
        url=body.url,
        events=list(dict.fromkeys(body.events)),
        description=body.description,
        allow_private=body.allow_private,
    )
    return _with_secret(created)


@routes.get("/v1/subscriptions")
async def list_subscriptions(request: web.Request) -> web.Response:
    subs = await Subscriptions(request.app[DATABASE]).list_for(request[TENANT])
    shown, after = paged(request, subs, lambda s: [s.created_at.isoformat(), s.subscription_id], 2)
    whole = request[ROLE] in INTEGRATOR
    return web.json_response({"subscriptions": [s.shown(whole_url=whole) for s in shown], "next": after})


@routes.get("/v1/subscriptions/{subscription_id}")
async def get_subscription(request: web.Request) -> web.Response:
    sub = await _owned(request)
    queue = await Subscriptions(request.app[DATABASE]).queue_counts(sub.subscription_id)
    return web.json_response({**sub.shown(whole_url=request[ROLE] in INTEGRATOR), "queue": queue})


@routes.patch("/v1/subscriptions/{subscription_id}")
async def change_subscription(request: web.Request) -> web.Response:
    """Change a subscription in place: deleting and creating it again gave a new secret and began
    every conversation's sequence at 1 again; and pause or resume it."""
    sub = await _owned(request)
    body = await read_body(request, ChangeSubscription)
    for name in sorted(body.model_fields_set):  # `null` changed nothing and answered 200
        if getattr(body, name) is None:
            raise invalid_field(name, 'a value, or leave it out to keep it (an empty description is "")')
    changes = body.model_dump(exclude_none=True, exclude={"paused"})
    if "events" in changes:
        changes["events"] = list(dict.fromkeys(changes["events"]))
    if "url" in changes or "allow_private" in changes:
        allow_private = changes.get("allow_private", sub.allow_private)
        await _check_receiver(request, changes.get("url", sub.url), allow_private)
    changed = await Subscriptions(request.app[DATABASE]).change(
        request[TENANT], sub.subscription_id, changes, paused=body.paused
    )
    if changed is None:  # deleted meanwhile
        missing = f"no subscription {sub.subscription_id} in this tenant"
        raise ApiError(404, "subscription_not_found", missing, named("subscription_id", missing))
    return web.json_response(changed.shown(whole_url=True))


@routes.delete("/v1/subscriptions/{subscription_id}")
async def delete_subscription(request: web.Request) -> web.Response:
    sub = await _owned(request)
    await Subscriptions(request.app[DATABASE]).delete(request[TENANT], sub.subscription_id)
    return web.json_response(Deleted(id=sub.subscription_id, deleted=True).model_dump())


@routes.post("/v1/subscriptions/{subscription_id}/rotate-secret")
async def rotate_subscription_secret(request: web.Request) -> web.Response:
    sub = await _owned(request)
    body = (
        await read_body(request, RotateSubscriptionSecret)
        if request.body_exists
        else RotateSubscriptionSecret()
    )
    rotated = await Subscriptions(request.app[DATABASE]).rotate(
        request[TENANT], sub.subscription_id, timedelta(hours=body.overlap_hours)
    )
    if rotated is None:  # deleted meanwhile
        missing = f"no subscription {sub.subscription_id} in this tenant"
        raise ApiError(404, "subscription_not_found", missing, named("subscription_id", missing))
    return _with_secret(rotated)


def _conversation_filter(request: web.Request) -> str | None:
    value = request.query.get("conversation_id")
    if value is not None and not is_safe_id(value):
        raise invalid_field("conversation_id", f"must match {ID_PATTERN}")
    return value


@routes.get("/v1/subscriptions/{subscription_id}/deliveries")
async def list_deliveries(request: web.Request) -> web.Response:
    sub = await _owned(request)
    check_parameters(request, ("conversation_id", *PAGE_PARAMS))
    page = page_request(request, position_length=4)
    found = await attempts_of(
        request.app[DATABASE],
        sub.subscription_id,
        after=page.after,
        limit=page.limit,
        conversation_id=_conversation_filter(request),
    )
    shown = found[: page.limit]
    after = next_link(request, page, shown[-1].position()) if len(found) > page.limit else None
    return web.json_response({"attempts": [a.shown() for a in shown], "next": after})


@routes.get("/v1/subscriptions/{subscription_id}/given-up")
async def list_given_up(request: web.Request) -> web.Response:
    """The events given up (engine/db/given_up_events.py), by conversation and sequence: the gaps a
    receiver sees, each with what to redeliver from."""
    sub = await _owned(request)
    check_parameters(request, ("conversation_id", *PAGE_PARAMS))
    page = page_request(request, position_length=2)
    # A cursor is not signed: "²" passed isdigit() and int() of it, or of 256 digits, was a 500.
    if page.after is not None and not re.fullmatch(r"[0-9]{1,10}", str(page.after[1])):
        raise invalid_field("cursor", "not a cursor of this listing (take `next` as it is)")
    found = await given_up(
        request.app[DATABASE],
        sub.subscription_id,
        after=page.after,
        limit=page.limit,
        conversation_id=_conversation_filter(request),
    )
    shown = found[: page.limit]
    after = next_link(request, page, shown[-1].position()) if len(found) > page.limit else None
    return web.json_response({"given_up": [g.shown() for g in shown], "next": after})


@routes.post("/v1/subscriptions/{subscription_id}/redeliver")
async def redeliver(request: web.Request) -> web.Response:
    sub = await _owned(request)
    check_parameters(request, ("from_sequence", "conversation_id"))
    first = whole_number(request.query.get("from_sequence", ""), 1, 2**31 - 1)
    if first is None:
        raise invalid_field("from_sequence", "an integer from 1 (the first sequence to deliver again)")
    deliveries = EventDeliveries(request.app[DATABASE])
    conversation = _conversation_filter(request)
    queued = await deliveries.redeliver(sub.subscription_id, first, conversation, datetime.now(UTC))
    if queued == 0:
        # A mistyped id or a sequence past the last answered `queued: 0` and the receiver waited.
        kept = await deliveries.kept_sequences(sub.subscription_id, conversation)
        if kept is None and conversation is None:  # nothing kept at all: nothing to send again
            return web.json_response({"queued": 0}, status=202)
        if kept is None:
            missing = (
                f"this subscription keeps no events of conversation {conversation} (never sent to "
                "it, or older than the subscriptions' retention)"
            )
            raise ApiError(404, "conversation_not_found", missing, named("conversation_id", missing))
        first, last = kept  # older ones are purged after the subscriptions' retention
        which = f"conversation {conversation} has" if conversation else "the conversations have"
        raise invalid_field("from_sequence", f"{which} events {first} to {last} here")
    return web.json_response({"queued": queued}, status=202)
