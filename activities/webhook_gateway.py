"""HTTP webhook gateway: the one adapter for chat, WhatsApp, SMS and social channels.

Each outbound message is a signed JSON POST (Standard Webhooks headers, `Idempotency-Key`). A 5xx,
a timeout or a refused connection raises, and Temporal retries the activity with backoff; a 4xx is
the gateway saying no, which retrying will not change, so it fails for good and the workflow records a
failed delivery in the decision trail.
"""

from __future__ import annotations

import json
import time
from typing import Any

import aiohttp

from activities.http_outcome import raise_for_status, unreachable
from activities.http_session import HttpSession
from engine import webhook_signature
from engine.contracts.outbound import OutboundMessage

TIMEOUT = aiohttp.ClientTimeout(total=10)


class WebhookGateway:
    name = "gateway"

    def __init__(self, url: str, secret: str | None) -> None:
        self.url = url
        self._secret = secret
        self._http = HttpSession(TIMEOUT)

    async def close(self) -> None:
        await self._http.close()

    async def send(self, message: OutboundMessage) -> None:
        payload = {
            "type": "message.outbound",
            "conversation_id": message.external_conversation_id,
            "tenant": message.tenant,
            "channel": message.channel,
            "to": message.to,
            "kind": message.kind,
            "text": message.text,
            "template": message.template,
            "template_only": message.template_only,
            "language": message.language,
        }
        await self.post(self.url, payload, message.idempotency_key)

    async def post(self, url: str, payload: dict[str, Any], key: str) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        if self._secret:
            headers |= webhook_signature.headers(self._secret, key, int(time.time()), body)
        else:
            headers["webhook-id"] = key
        try:
            async with self._http.get().post(url, data=body, headers=headers) as response:
                raise_for_status(response.status, "Gateway")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unreachable("Gateway", exc) from None
