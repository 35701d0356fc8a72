"""Inbound email: a raw RFC 822 message from a mail gateway that holds an API key.

It becomes a customer message of a conversation exactly as `POST /v1/conversations/{id}/messages`
does; replies (In-Reply-To, References naming one of our Message-IDs) join their conversation when
the sender is that conversation's customer (engine/api/email_threading.py).

A mail is hostile input: it is read with an explicit bound (`max_email_bytes`, 413 above it; the
app's `client_max_size` is the largest of all limits, so `request.read()` would take more), every
header is bounded before the standard library parses it (a long structured header costs it
quadratic time, deep comments a RecursionError), and whatever the parser still cannot take is a 4xx
naming the header or the body. Nothing from the mail is logged.
"""

from __future__ import annotations

import asyncio
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from engine.api.auth import TENANT
from engine.api.conversations import INBOUND_SEEN, SETTINGS, receive_customer_message
from engine.api.email_threading import thread_for
from engine.api.errors import ApiError, body_too_large, invalid_field, validation_error
from engine.api.schemas import PostMessage
from engine.contracts.conversation import Channel

routes = web.RouteTableDef()
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
# One header, unfolded: RFC 5322 lines are at most 998 characters, and a References header of a
# long thread is ~60 per id; 8 KiB leaves room for both and keeps the parser's worst case short.
MAX_HEADER_CHARS = 8 * 1024
MAX_HEADERS = 200  # per MIME part
MAX_PARTS = 60  # a text, an HTML alternative and the 50 attachments a message keeps, with room
# MIME parameters (`Content-Type: text/plain; charset=...`) cost the parser quadratic time in their
# number: 200 take 40 ms, 20,000 took 17 s. Real mail has a handful.
PARAMETERIZED = {"content-type", "content-disposition"}
MAX_PARAMETERS = 32
PART_HEADER = re.compile(rb"(?im)^content-type[ \t]*:")


@routes.post("/v1/inbound/email")
async def inbound_email(request: web.Request) -> web.Response:
    """A raw RFC 822 message (Content-Type: message/rfc822) from the mail gateway."""
    raw = await read_email(request, request.app[SETTINGS].max_email_bytes)
    # Parsing is CPU work bounded by the limits above; in a thread, other requests are not kept waiting.
    mail, (text, attachments) = await asyncio.to_thread(parse_all, raw)
    sender = header(mail, "From")
    addresses = getattr(sender, "addresses", None) or ()
    address = addresses[0] if addresses else None
    addr_spec = text_of(address.addr_spec) if address is not None else ""
    if "@" not in addr_spec:
        raise invalid_field("From", "required", "the email has no usable From address")
    message_id = str(header(mail, "Message-ID") or "").strip()
    if not message_id:
        raise invalid_field("Message-ID", "required", "the email has no Message-ID")
    try:
        message = PostMessage.model_validate(
            {
                "message_id": text_of(message_id),
                "channel": Channel.EMAIL,
                "sender": {
                    "address": addr_spec,
                    "name": clean_line(text_of(address.display_name if address else ""), 200) or None,
                },
                "text": text_of(text)[:100_000].replace("\x00", ""),
                "subject": clean_line(text_of(str(header(mail, "Subject") or "")), 1000) or None,
                "auto_submitted": is_automatic(mail, addr_spec),
                "attachments": attachments[:50],
            }
        )
    except ValidationError as exc:
        raise email_error(exc) from None
    # A Message-ID the service took already (a mail gateway redelivering) is answered from the
    # database without asking the workflow; remembered, as for webhooks, once the workflow has it.
    seen = request.app[INBOUND_SEEN]
    if await seen.seen(request[TENANT], "email", message.message_id):
        return web.json_response({"duplicate": True, "message_id": message.message_id})
    named = [*str(header(mail, "References") or "").split(), *str(header(mail, "In-Reply-To") or "").split()]
    threading = await thread_for(request, named=named, sender=addr_spec, message_id=message.message_id)
    response = await receive_customer_message(request, threading.conversation, message, threading.note)
    await seen.remember(request[TENANT], "email", message.message_id)
    return response


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
        raise ApiError(400, "empty_body", "request body is empty", [{"field": "body", "message": "required"}])
    return raw


def parse_all(raw: bytes) -> tuple[EmailMessage, tuple[str, list[dict[str, Any]]]]:
    mail = parse(raw)
    return mail, contents(mail)


def parse(raw: bytes) -> EmailMessage:
    """The parsed mail, once its structure and every part's headers are within bounds.

    Checked in the order the costs come: part count on the raw bytes (nesting costs the parser
    time and recursion), then header sizes on a compat32 parse, which splits headers without parsing
    them (the default policy parses Content-Type while reading, where many parameters cost
    quadratic time), and only then the real parse, each header parsed once to find the bad ones.
    """
    if len(PART_HEADER.findall(raw)) > MAX_PARTS:
        raise malformed(f"at most {MAX_PARTS} MIME parts")
    try:
        for part in BytesParser(policy=policy.compat32).parsebytes(raw).walk():
            check_headers(part.items())
        mail = BytesParser(policy=policy.default).parsebytes(raw)
        parts = list(mail.walk())
    except RecursionError:
        raise malformed("MIME parts or header comments nested too deep") from None
    for part in parts:
        for name in part.keys():
            # Parsed once here, so a header the parser cannot take is a 422 naming it, wherever
            # it would be read later (`get_content_type`, `get_filename`, ...).
            header(part, clean_line(name, 64) or "header")
    return mail


def check_headers(items: list[tuple[str, Any]]) -> None:
    """A 422 naming the first header over its bounds (count, length, MIME parameters)."""
    if len(items) > MAX_HEADERS:
        raise invalid_field("headers", f"at most {MAX_HEADERS} per part", "the email has too many headers")
    for name, value in items:
        value = str(value)
        label = clean_line(name, 64) or "header"
        if len(value) > MAX_HEADER_CHARS:
            raise invalid_field(
                label, f"at most {MAX_HEADER_CHARS} characters", f"email header {label!r} is too long"
            )
        if label.lower() in PARAMETERIZED and value.count(";") > MAX_PARAMETERS:
            raise invalid_field(
                label,
                f"at most {MAX_PARAMETERS} parameters",
                f"email header {label!r} has too many parameters",
            )


def header(mail: EmailMessage, name: str) -> Any:
    """The parsed header, or a 422 naming it when the parser cannot take its value."""
    try:
        return mail.get(name)
    except Exception:  # the stdlib header parser fails in many ways on hostile input; none is a 500
        raise invalid_field(name, "malformed", f"the email's {name} header cannot be parsed") from None


def contents(mail: EmailMessage) -> tuple[str, list[dict[str, Any]]]:
    """The text (plain preferred) and the attachments' metadata; a 400 for MIME the parser cannot take."""
    try:
        body_part = mail.get_body(preferencelist=("plain", "html"))
        text = body_part.get_content() if body_part is not None else ""
        # What we derive from the mail is cut to fit; what identifies it (Message-ID, From) must fit as is.
        attachments = [
            {
                "name": clean_line(text_of(part.get_filename() or ""), 255) or "attachment",
                "content_type": clean_line(part.get_content_type(), 255),
                "size": len(part.get_payload(decode=True) or b""),
            }
            for part in mail.iter_attachments()
        ]
    except Exception:  # as above: stdlib MIME handling raises assorted errors on malformed input
        raise malformed("the email's MIME structure cannot be read") from None
    return (text if isinstance(text, str) else ""), attachments


def malformed(problem: str) -> ApiError:
    return ApiError(400, "malformed_email", problem, [{"field": "body", "message": problem}])


EMAIL_FIELDS = {"message_id": "Message-ID", "sender": "From", "subject": "Subject"}


def email_error(exc: ValidationError) -> ApiError:
    """422 naming the mail's header (`Message-ID`, `From`) rather than the message field it became."""
    error = validation_error(exc)
    for field in error.fields:
        head, _, _ = field["field"].partition(".")
        field["field"] = EMAIL_FIELDS.get(head, field["field"])
    names = ", ".join(f["field"] for f in error.fields)
    return ApiError(422, "invalid_request", f"invalid email header(s): {names}", error.fields)


def text_of(value: str) -> str:
    """Text as Unicode: the parser keeps undecodable header bytes as surrogates, which JSON cannot carry."""
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate no byte became (a decoder's, not the parser's)
        return value.encode("utf-8", "replace").decode("utf-8")


def clean_line(value: str | None, limit: int) -> str:
    """One line of at most `limit` characters: control characters become spaces."""
    return CONTROL.sub(" ", value or "").strip()[:limit]


def is_automatic(mail: EmailMessage, sender: str) -> bool:
    """Auto-replies and bounces (RFC 3834 Auto-Submitted, Precedence, delivery reports, daemons)."""
    if str(header(mail, "Auto-Submitted") or "no").strip().lower() != "no":
        return True
    if str(header(mail, "Precedence") or "").strip().lower() in AUTO_PRECEDENCE:
        return True
    if header(mail, "X-Autoreply") or header(mail, "X-Autorespond"):
        return True
    if mail.get_content_type() == "multipart/report":
        return True
    return bool(BOUNCE_SENDER.match(sender))
