"""Inbound webhook: a chat, WhatsApp, SMS or social gateway posts a customer message.

It becomes a customer message of a conversation exactly as `POST /v1/conversations/{id}/messages`
does. The request is authenticated by its Standard Webhooks signature (timestamp window,
constant-time compare, replayed ids refused in the database, so on every replica) rather than an
API key, with the secrets of the tenant in the path:

- The tenant must exist (a row in `tenants`; `convoflow up` creates those its settings keys name):
  404 otherwise, before anything is read or created.
- Secrets: the tenant's own (engine/db/webhook_secrets.py), one per channel plus the retiring ones of
  a rotation; a tenant with none of its own uses CONVOFLOW_GATEWAY_SECRET for every channel. Neither:
  503 naming what to configure.
- Which channel's secret: the channel is in the body, and the body is not trusted (nor parsed) before
  the signature is checked. So the signature is checked against every valid secret of the tenant,
  and then the channel the body names must be one of those the matching secrets belong to (403
  otherwise): a gateway holding only the tenant's SMS secret cannot post WhatsApp messages.
"""

from __future__ import annotations

import time

from aiohttp import web
from pydantic import ConfigDict, Field, ValidationError

from engine import webhook_signature
from engine.api.auth import TENANT, TENANT_PATTERN
from engine.api.conversations import DATABASE, INBOUND_SEEN, SETTINGS, receive_customer_message
from engine.api.errors import ApiError, invalid_field, named, validation_error
from engine.api.json_body import json_object
from engine.api.rate_limits import limit_webhook
from engine.api.schemas import ConversationId, PostMessage, PostParty
from engine.contracts.conversation import Channel
from engine.db.keys import tenant_exists
from engine.db.webhook_secrets import ValidSecret, WebhookSecrets

MAX_WEBHOOK_ID = 256  # Standard Webhooks ids are short (msg_<ksuid>); the dedup table holds 512
TOLERANCE_SECONDS = 300  # how far webhook-timestamp may be from now (Standard Webhooks' default)

routes = web.RouteTableDef()


class GatewayParty(PostParty):
    """The sender as a gateway describes it: its address and name are read, the rest of its own
    (a WhatsApp `profile`) is ignored."""

    model_config = ConfigDict(extra="ignore")


class InboundWebhook(PostMessage):
    """What a gateway posts for a customer message: `POST .../messages`'s body, with the event's type
    and the conversation. Its `received_at`, `subject`, `attachments` and the rest were dropped
    without a word (a photo alone was a conversation of no text, its clocks counted from arrival).
    Fields of the gateway's own are ignored: a gateway does not retry a 4xx, so refusing one lost
    the customer's message."""

    model_config = ConfigDict(extra="ignore")

    type: str = Field(pattern="^message\\.inbound$")
    conversation_id: ConversationId
    sender: GatewayParty  # PostParty's fields, its extras ignored


@routes.post("/v1/inbound/webhook/{tenant}")
async def inbound_webhook(request: web.Request) -> web.Response:
    tenant = request.match_info["tenant"]
    store = WebhookSecrets(request.app[DATABASE])
    if not TENANT_PATTERN.match(tenant) or not await tenant_exists(request.app[DATABASE], tenant):
        raise ApiError(404, "not_found", "no such tenant", named("tenant", "no such tenant"))
    candidates = await _secrets_of(request, store, tenant)
    body = await request.read()
    try:
        webhook_id, matched = webhook_signature.verify_any(
            [c.secret for c in candidates], dict(request.headers), body, int(time.time()), TOLERANCE_SECONDS
        )
    except webhook_signature.SignatureError as exc:
        raise ApiError(401, "bad_signature", str(exc), named(exc.header, str(exc))) from None
    if len(webhook_id) > MAX_WEBHOOK_ID or not webhook_id.isprintable():
        raise invalid_field("webhook-id", f"at most {MAX_WEBHOOK_ID} printable characters")
    await limit_webhook(request, tenant)
    seen = request.app[INBOUND_SEEN]
    if taken := await seen.seen(tenant, "webhook", webhook_id):
        known = {"conversation_id": taken.conversation_id} if taken.conversation_id else {}
        return web.json_response({"duplicate": True, "webhook_id": webhook_id, **known})
    data = json_object(body)  # malformed JSON is a 400 with its line and column, as on every route
    event = _read_event(data)
    signed_for = {candidates[index].channel for index in matched}
    if event.channel.value not in signed_for:
        raise ApiError(
            403,
            "forbidden",
            f"signed with the tenant's secret of another channel than {event.channel.value}",
            [
                {
                    "field": "channel",
                    "message": f"the signing secret is not one of the {event.channel.value} secrets",
                }
            ],
        )
    request[TENANT] = tenant
    message = PostMessage.model_construct(  # checked already, as InboundWebhook
        **{name: getattr(event, name) for name in PostMessage.model_fields},
        _fields_set=event.model_fields_set & set(PostMessage.model_fields),
    )
    # Remembered (in the database, for every replica) only once the conversation has the message:
    # after a 5xx the gateway's retry must get through. Two deliveries in flight at once both reach
    # the workflow, which keeps one (it deduplicates by message_id).
    response = await receive_customer_message(request, event.conversation_id, message)
    await seen.remember(tenant, "webhook", webhook_id, event.conversation_id)
    return response


# Fields a gateway may send in a shape of its own (its `attachments` as URLs, `received_at` as Unix
# seconds): read when they are ours, dropped when not, since a gateway does not retry a 4xx and the
# customer's message would be lost. The message's id, sender, channel and text are never guessed.
OWN_SHAPES = frozenset(
    {"quoted", "subject", "received_at", "auto_submitted", "attachments", "headers", "language"}
)


def _read_event(data: dict[str, object]) -> InboundWebhook:
    """The event, with a field in a shape of the gateway's own (OWN_SHAPES) left out; 422 naming
    the fields of the message's own otherwise (not those it would have left out)."""
    try:
        return InboundWebhook.model_validate(data)
    except ValidationError as exc:
        unread = {str(error["loc"][0]) for error in exc.errors() if error["loc"]} & OWN_SHAPES
        if not unread:
            raise validation_error(exc) from None
    try:
        return InboundWebhook.model_validate({k: v for k, v in data.items() if k not in unread})
    except ValidationError as exc:
        raise validation_error(exc) from None


async def _secrets_of(request: web.Request, store: WebhookSecrets, tenant: str) -> list[ValidSecret]:
    """The tenant's valid secrets, and the shared gateway secret for each channel it has none of its
    own for (as outbound signs); 503 if there is nothing to verify with. A channel whose secrets all
    retired (impossible through rotation, which keeps the newest) gets no fallback: 401."""
    own, valid = await store.valid(tenant)
    shared = request.app[SETTINGS].secret("gateway_secret")
    if shared:
        valid += [ValidSecret(channel=c.value, secret=shared) for c in Channel if c.value not in own]
    if not valid:
        raise ApiError(
            503,
            "not_configured",
            "no webhook secret for this tenant: create one with `convoflow webhook-secret rotate "
            "--tenant T --channel C` (or set CONVOFLOW_GATEWAY_SECRET for every tenant)",
        )
    return valid
