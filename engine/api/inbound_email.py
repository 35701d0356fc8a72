"""Inbound email: a raw RFC 822 message from a mail gateway that holds an API key.

It becomes a customer message of a conversation exactly as `POST /v1/conversations/{id}/messages`
does; replies (In-Reply-To, References naming one of our Message-IDs) join their conversation.
"""

from __future__ import annotations

import hashlib
import re
from email import policy
from email.parser import BytesParser

from aiohttp import web
from pydantic import ValidationError

from engine.api.auth import TENANT
from engine.api.conversations import INBOUND_SEEN, SETTINGS, receive_customer_message
from engine.api.errors import ApiError, invalid_field, validation_error
from engine.api.schemas import PostMessage
from engine.contracts.conversation import Channel
from engine.contracts.message_ids import conversation_of, domain_of

routes = web.RouteTableDef()
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)
CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@routes.post("/v1/inbound/email")
async def inbound_email(request: web.Request) -> web.Response:
    """A raw RFC 822 message (Content-Type: message/rfc822) from the mail gateway."""
    raw = await request.read()
    if not raw:
        raise ApiError(400, "empty_body", "request body is empty", [{"field": "body", "message": "required"}])
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    sender = mail.get("From")
    address = sender.addresses[0] if sender is not None and getattr(sender, "addresses", None) else None
    if address is None or not address.addr_spec or "@" not in address.addr_spec:
        raise invalid_field("From", "required", "the email has no usable From address")
    message_id = (mail.get("Message-ID") or "").strip()
    if not message_id:
        raise invalid_field("Message-ID", "required", "the email has no Message-ID")
    domain = domain_of(request.app[SETTINGS].email_from)
    thread = [*(mail.get("References") or "").split(), *(mail.get("In-Reply-To") or "").split()]
    conversation = next((c for c in map(lambda m: conversation_of(m, domain), reversed(thread)) if c), None)
    if conversation is None:
        conversation = "email-" + hashlib.sha256(message_id.encode()).hexdigest()[:20]
    body_part = mail.get_body(preferencelist=("plain", "html"))
    text = body_part.get_content() if body_part is not None else ""
    # What we derive from the mail is cut to fit; what identifies it (Message-ID, From) must fit as is.
    attachments = [
        {
            "name": clean_line(part.get_filename() or "", 255) or "attachment",
            "content_type": part.get_content_type(),
            "size": len(part.get_payload(decode=True) or b""),
        }
        for part in mail.iter_attachments()
    ]
    try:
        message = PostMessage.model_validate(
            {
                "message_id": message_id,
                "channel": Channel.EMAIL,
                "sender": {
                    "address": address.addr_spec,
                    "name": clean_line(address.display_name, 200) or None,
                },
                "text": text[:100_000].replace("\x00", ""),
                "subject": clean_line(str(mail.get("Subject") or ""), 1000) or None,
                "auto_submitted": is_automatic(mail, address.addr_spec),
                "attachments": attachments[:50],
            }
        )
    except ValidationError as exc:
        raise email_error(exc) from None
    # A Message-ID the service took already (a mail gateway redelivering) is answered from the
    # database without asking the workflow; remembered, as for webhooks, once the workflow has it.
    seen = request.app[INBOUND_SEEN]
    if await seen.seen(request[TENANT], "email", message_id):
        return web.json_response({"duplicate": True, "message_id": message_id})
    response = await receive_customer_message(request, conversation, message)
    await seen.remember(request[TENANT], "email", message_id)
    return response


EMAIL_FIELDS = {"message_id": "Message-ID", "sender": "From", "subject": "Subject"}


def email_error(exc: ValidationError) -> ApiError:
    """422 naming the mail's header (`Message-ID`, `From`) rather than the message field it became."""
    error = validation_error(exc)
    for field in error.fields:
        head, _, _ = field["field"].partition(".")
        field["field"] = EMAIL_FIELDS.get(head, field["field"])
    names = ", ".join(f["field"] for f in error.fields)
    return ApiError(422, "invalid_request", f"invalid email header(s): {names}", error.fields)


def clean_line(value: str | None, limit: int) -> str:
    """One line of at most `limit` characters: control characters become spaces."""
    return CONTROL.sub(" ", value or "").strip()[:limit]


def is_automatic(mail, sender: str) -> bool:
    """Auto-replies and bounces (RFC 3834 Auto-Submitted, Precedence, delivery reports, daemons)."""
    if (mail.get("Auto-Submitted") or "no").strip().lower() != "no":
        return True
    if (mail.get("Precedence") or "").strip().lower() in AUTO_PRECEDENCE:
        return True
    if mail.get("X-Autoreply") or mail.get("X-Autorespond"):
        return True
    if mail.get_content_type() == "multipart/report":
        return True
    return bool(BOUNCE_SENDER.match(sender))
