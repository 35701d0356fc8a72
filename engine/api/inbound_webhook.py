"""Inbound webhook: a chat, WhatsApp, SMS or social gateway posts a customer message.

It becomes a customer message of a conversation exactly as `POST /v1/conversations/{id}/messages`
does. The request is authenticated by its Standard Webhooks signature (timestamp window,
constant-time compare, replayed ids refused) rather than an API key.
"""

from __future__ import annotations

import time

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError

from engine import webhook_signature
from engine.api.auth import TENANT, TENANT_PATTERN
from engine.api.conversations import INBOUND_SEEN, SETTINGS, receive_customer_message
from engine.api.errors import ApiError, validation_error
from engine.api.schemas import LanguageTag, MessageId, MessageText, PostMessage, PostParty
from engine.contracts.conversation import Channel

routes = web.RouteTableDef()


class InboundWebhook(BaseModel):
    """What a gateway posts for a customer message."""

    type: str = Field(pattern="^message\\.inbound$")
    channel: Channel
    conversation_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$")
    message_id: MessageId
    sender: PostParty
    text: MessageText
    language: LanguageTag | None = None


@routes.post("/v1/inbound/webhook/{tenant}")
async def inbound_webhook(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    secret = settings.secret("gateway_secret")
    if not secret:
        raise ApiError(503, "not_configured", "inbound webhooks need CONVOFLOW_GATEWAY_SECRET")
    tenant = request.match_info["tenant"]
    if not TENANT_PATTERN.match(tenant):
        raise ApiError(404, "not_found", "no such tenant")
    body = await request.read()
    try:
        webhook_id = webhook_signature.verify(secret, dict(request.headers), body, int(time.time()))
    except webhook_signature.SignatureError as exc:
        raise ApiError(
            401, "bad_signature", str(exc), [{"field": "webhook-signature", "message": str(exc)}]
        ) from None
    seen = request.app[INBOUND_SEEN]
    if await seen.seen(tenant, "webhook", webhook_id):
        return web.json_response({"duplicate": True, "webhook_id": webhook_id})
    try:
        event = InboundWebhook.model_validate_json(body)
    except ValidationError as exc:
        raise validation_error(exc) from None
    request[TENANT] = tenant
    message = PostMessage(
        message_id=event.message_id,
        channel=event.channel,
        sender=event.sender,
        text=event.text,
        language=event.language,
    )
    # Remembered (in the database, for every replica) only once the conversation has the message:
    # after a 5xx the gateway's retry must get through. Two deliveries in flight at once both reach
    # the workflow, which keeps one (it deduplicates by message_id).
    response = await receive_customer_message(request, event.conversation_id, message)
    await seen.remember(tenant, "webhook", webhook_id)
    return response
