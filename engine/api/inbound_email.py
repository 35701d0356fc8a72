"""Inbound email over HTTP: a raw RFC 822 message from a mail gateway that holds an API key.

The mail is taken exactly as the worker's IMAP connectors take theirs (engine/api/email_intake.py):
a customer message of a conversation (201 new, 200 joined), a bounce recorded on the conversation
it returns (200, `"bounce": true`), or, when it cannot become a conversation (no usable sender, a
loop, a blocked sender, a spam verdict, unreadable), **202 with the quarantine id** and the reason:
the gateway must not retry it, and ops find it in `GET /v1/quarantine`. Nothing is refused with a
422 any more, because a refused mail is a lost customer message (issue 20).

A mail is hostile input: it is read with an explicit bound (`max_email_bytes`, 413 above it: that one
is not kept, the gateway still has it); the parser's own bounds (engine/mail/parsing.py) make a
hostile mail an `unparseable` quarantine entry naming the header. Nothing from the mail is logged.
"""

from __future__ import annotations

from aiohttp import web

from engine.api.auth import TENANT
from engine.api.conversations import SETTINGS
from engine.api.email_intake import MAIL_INTAKE
from engine.api.errors import ApiError, body_too_large, named

routes = web.RouteTableDef()
# Bodies that are surely no mail; anything else (message/rfc822, text/plain, none) is read as one,
# since a relay may not say what it posts.
NOT_MAIL = frozenset({"application/json", "application/x-www-form-urlencoded", "multipart/form-data"})


@routes.post("/v1/inbound/email")
async def inbound_email(request: web.Request) -> web.Response:
    """A raw RFC 822 message (Content-Type: message/rfc822) from the mail gateway."""
    if request.content_type in NOT_MAIL:
        # An integrator's JSON meant for /messages was taken as a mail without a sender and held.
        said = f"a {request.content_type} body is not a mail: send the raw message as message/rfc822"
        raise ApiError(415, "unsupported_media_type", said, named("Content-Type", said))
    raw = await read_email(request, request.app[SETTINGS].max_email_bytes)
    taken = await request.app[MAIL_INTAKE].take(request[TENANT], raw, source="api")
    if taken.outcome == "quarantined":
        status = 202
    elif taken.receipt is not None and taken.receipt.created:
        status = 201
    else:
        status = 200
    return web.json_response(taken.body(), status=status)


async def read_email(request: web.Request, limit: int) -> bytes:
    """The raw mail, up to `limit` bytes: over it is a 413, whatever the framing."""
    if request.content_length is not None and request.content_length > limit:
        raise body_too_large(limit)
    # `read` stops at the request's client_max_size, which engine/api/body_limits.py set to `limit`
    # (a chunked body over it is cut off there), and it is the body an Idempotency-Key check read.
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise body_too_large(limit) from None
    if len(raw) > limit:
        raise body_too_large(limit)
    if not raw:
        raise ApiError(400, "empty_body", "request body is empty", named("body", "required"))
    return raw
