"""What the service POSTs to an integrator's subscription, as OpenAPI 3.1 `webhooks`.

The API's own routes describe what an integrator sends; the events it receives were README prose
only, so a generated client had no model for them and a receiver nothing to validate against. The
body is `DeliveredEvent` (engine/contracts/events.py), the headers Standard Webhooks' signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.contracts.events import DeliveredEvent

WEBHOOK_MODELS = (DeliveredEvent,)
SIGNATURE_HEADERS = [
    {
        "name": "webhook-id",
        "in": "header",
        "required": True,
        "description": "The event's id: the same on every retry (a repeat is one you already have).",
        "schema": {"type": "string"},
    },
    {
        "name": "webhook-timestamp",
        "in": "header",
        "required": True,
        "description": "Unix seconds of this attempt; refuse one far from your clock (a replay).",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    {
        "name": "webhook-signature",
        "in": "header",
        "required": True,
        "description": "`v1,<base64 HMAC-SHA256 of '{id}.{timestamp}.{body}'>` under the subscription's "
        "secret, space-separated: one per valid secret during a rotation.",
        "schema": {"type": "string"},
    },
]


def webhooks(refs: Mapping[Any, dict[str, Any]]) -> dict[str, Any]:
    """The `webhooks` member of the document: one signed POST per event of a subscription."""
    return {
        "conversationEvent": {
            "post": {
                "operationId": "receive_conversation_event",
                "summary": "One event of one conversation, delivered to a subscription's URL",
                "description": "Events of a conversation arrive in `sequence` order; answer any 2xx within "
                "10 seconds, anything else is retried with growing pauses for 24 hours.",
                "parameters": SIGNATURE_HEADERS,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": refs[(DeliveredEvent, "validation")]}},
                },
                "responses": {"2XX": {"description": "Taken: not sent again"}},
            }
        }
    }
