"""`Idempotency-Key` on every POST (draft-ietf-httpapi-idempotency-key-header): a retry is answered,
not run again.

A POST with the header claims the key in the control-plane database (engine/db/idempotency.py),
scoped to the tenant and the API key, so two integrations (or two tenants) choosing the same key
never see each other's answers. Then:

- the same key with the same request (SHA-256 of method, path with query, and body: a JSON body by
  its content, so names in another order or other spacing are the same request) answers the
  first answer again (status, body, Content-Type, Location, Cache-Control) with
  `Idempotent-Replayed: true`;
- the same key with another request: 422 naming `Idempotency-Key`;
- the same key while the first request still runs: 409 naming `Idempotency-Key`, `Retry-After: 1`;
- a key that is not 1-256 characters of one line: 422 naming `Idempotency-Key`.

Only final answers are kept (24 hours): 2xx, and 4xx that the same request would get again. 5xx
(503: no worker in time), 404 (the conversation may exist by the retry), 409 and 429 are not: the
claim is given up, and a retry runs again. An answer that shows a secret once (`Cache-Control:
no-store`, a new API key or webhook secret) is kept without the secret: a replay repeats the ids and
dates, not the secret, which stays shown once and stored nowhere.

Routes that are idempotent by their own ids keep them: on `/replies` the key *is* the reply's
`message_id` (engine/api/conversations.py), deduplicated by the conversation for as long as it
exists, and a retry answers `duplicate: true`. Signed inbound webhooks carry no API key and are
deduplicated by the channel's own message id, which their signature covers: an Idempotency-Key
header there is outside the signature, so anyone replaying a captured request could change it.
It is ignored there, as on the ops console's forms, and on a data subject's requests, whose
answers are a customer's data (an export kept 24 hours would outlive the erasure after it): a
search run again reads again, an erasure run again finds nothing left or finishes one that stopped.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import timedelta
from typing import Any

from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from engine.api.auth import KEY_HASH, TENANT, is_console, is_open
from engine.api.errors import ApiError, Handler, invalid_field, named
from engine.api.roles import route_template
from engine.api.schemas import MessageId
from engine.db.idempotency import Claim, IdempotencyKeys, KeySlot, StoredAnswer

IDEMPOTENCY_KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
IDEMPOTENCY = web.AppKey("idempotency_keys", IdempotencyKeys)
# Routes whose own ids make them idempotent (see the module docstring).
OWN_IDS = frozenset({"/v1/conversations/{conversation_id}/replies"})
# A data subject's requests (see the docstring).
NEVER_KEPT = frozenset({"/v1/customers/search", "/v1/customers/export", "/v1/customers/erasures"})
# 4xx answers a retry of the same request would get again; every other one lets the retry run.
FINAL_ERRORS = frozenset({400, 403, 410, 413, 415, 422})
REPEATED_HEADERS = ("Content-Type", "Location", "Cache-Control")
# Members of a no-store answer that are never written down (the secret shown once).
SHOWN_ONCE = ("key", "secret")
_KEY: TypeAdapter[str] = TypeAdapter(MessageId)


LEASE_MARGIN = timedelta(seconds=30)


def lease_for(update_timeout_seconds: float, rules_time_limit_seconds: float) -> timedelta:
    """How long a claim protects a running request: well past the longest a request may run, after
    which a claim left by a crashed process is taken over."""
    return 2 * timedelta(seconds=max(update_timeout_seconds, rules_time_limit_seconds)) + LEASE_MARGIN


def longest_run(lease: timedelta) -> timedelta:
    """The longest a request may run, of a lease `lease_for` gave."""
    return (lease - LEASE_MARGIN) / 2


def checked_key(request: web.Request) -> str | None:
    """The request's Idempotency-Key, bounded like a message id (1-256 characters, one line)."""
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is None:
        return None
    try:
        return _KEY.validate_python(key)
    except ValidationError as exc:
        raise invalid_field(IDEMPOTENCY_KEY, exc.errors(include_url=False)[0]["msg"]) from None


@web.middleware
async def idempotent_posts(request: web.Request, handler: Handler) -> web.StreamResponse:
    """After auth and roles: only a caller allowed to make the request can claim its key."""
    if request.method != "POST" or is_open(request.path) or is_console(request.path):
        return await handler(request)
    if route_template(request) in NEVER_KEPT:
        return await handler(request)
    key = checked_key(request)
    if key is None or route_template(request) in OWN_IDS or TENANT not in request:
        return await handler(request)
    raw = await request.read()
    fingerprint = hashlib.sha256(
        b"\n".join([request.method.encode(), request.path_qs.encode(), content(raw)])
    )
    slot = KeySlot(
        tenant=request[TENANT],
        key_scope=request[KEY_HASH],
        key_hash=hashlib.sha256(key.encode()).hexdigest(),
    )
    keys = request.app[IDEMPOTENCY]
    claim = await keys.claim(slot, fingerprint.hexdigest())
    if not claim.owned:
        return _answer_for(claim, keys.lease)
    try:
        try:
            response = await handler(request)
        except ApiError as exc:
            response = exc.response()
    except BaseException:
        await keys.give_up(slot)
        raise
    if isinstance(response, web.Response) and _is_final(response.status):
        await keys.store(slot, _kept(response))
    else:
        await keys.give_up(slot)
    return response


CANONICAL_UP_TO = 64 * 1024
"""Bodies read by content up to this size: parsing runs on the event loop (a rule pack's 8 MB body
took 1.9 s there); larger ones (packs, whose parsing is the pack workers') by their bytes."""


def content(raw: bytes) -> bytes:
    """What a body says: a JSON object by its content (its names sorted, no spaces), so a retry that
    a client's JSON library wrote in another order is the same request; any other body (and JSON with
    a name twice, which two orders would read differently, or one over CANONICAL_UP_TO) as its bytes."""
    if len(raw) > CANONICAL_UP_TO:
        return raw

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({name for name, _ in pairs}) != len(pairs):
            raise ValueError("a name twice")
        return dict(pairs)

    try:
        data = json.loads(raw, object_pairs_hook=unique)
    except (ValueError, RecursionError):  # not JSON, a name twice, too deep: the route says why
        return raw
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _is_final(status: int) -> bool:
    return status < 400 or status in FINAL_ERRORS


def _kept(response: web.Response) -> StoredAnswer:
    body = response.body if isinstance(response.body, bytes) else b""
    if "no-store" in response.headers.get("Cache-Control", "") and body:
        shown = json.loads(body)
        if isinstance(shown, dict):
            body = json.dumps({k: v for k, v in shown.items() if k not in SHOWN_ONCE}).encode()
    headers = {name: response.headers[name] for name in REPEATED_HEADERS if name in response.headers}
    return StoredAnswer(status=response.status, headers=headers, body=body)


def _answer_for(claim: Claim, lease: timedelta) -> web.Response:
    if claim.stored is not None:
        headers = {**claim.stored.headers, REPLAYED: "true"}
        return web.Response(body=claim.stored.body, status=claim.stored.status, headers=headers)
    if claim.reused:
        raise invalid_field(
            IDEMPOTENCY_KEY,
            "already used with a different request (method, path or body)",
            f"this {IDEMPOTENCY_KEY} was sent with a different request; use a new key for a new request",
        )
    # An API that stopped before answering leaves its claim until the lease ends (90 s by default):
    # a client retrying each second was told "still running" for all of it, and not for how long.
    wait = claim.free_within
    latest, retry = "", 1
    if wait is not None:
        latest = f" (free within {math.ceil(wait.total_seconds())} s at the latest)"
        # Held past the longest a request runs, its API is gone: a client trusting `Retry-After: 1`
        # asked ninety times (helper-123); it waits for the lease now.
        if lease - wait > longest_run(lease):
            retry = math.ceil(wait.total_seconds())
    raise ApiError(
        409,
        "idempotency_key_in_use",
        f"a request with this {IDEMPOTENCY_KEY} is still running{latest}; retry after it answered",
        named(IDEMPOTENCY_KEY, "a request with this key is still running"),
        headers={"Retry-After": str(max(retry, 1))},
    )
