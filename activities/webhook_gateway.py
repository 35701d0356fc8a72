"""HTTP webhook gateway: the one adapter for chat, WhatsApp, SMS and social channels.

Each outbound message is a signed JSON POST (Standard Webhooks headers, `Idempotency-Key`). A 5xx,
a timeout or a refused connection raises, and Temporal retries the activity with backoff; a 4xx is
the gateway saying no, which retrying will not change, so it fails for good and the workflow records a
failed delivery in the decision trail.

Signing: with the tenant's own secrets of the message's channel when it has some (every one still
valid, one signature each, so a gateway that has not switched to a rotated secret yet still
verifies), else with the deployment's CONVOFLOW_GATEWAY_SECRET.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp

from activities.http_outcome import raise_for_status, refused, unreachable
from activities.http_session import HttpSession
from engine import webhook_signature
from engine.contracts.outbound import OutboundMessage

TIMEOUT = aiohttp.ClientTimeout(total=10)
# The tenant's valid secrets of a channel, newest first (engine/db/webhook_secrets.py); empty: none.
TenantSecrets = Callable[[str, str], Awaitable[list[str]]]


class WebhookGateway:
    name = "gateway"

    def __init__(
        self,
        url: str,
        secret: str | None,
        tenant_secrets: TenantSecrets | None = None,
        *,
        public_only: bool = False,
    ) -> None:
        self.url = url
        self._secret = secret
        self._tenant_secrets = tenant_secrets
        # A URL a tenant named (a rule's `call_webhook`): public addresses only, no redirect followed.
        self._public_only = public_only
        self._http = HttpSession(TIMEOUT, public_only=public_only)

    async def close(self) -> None:
        await self._http.close()

    async def send(self, message: OutboundMessage) -> None:
        own = await self._tenant_secrets(message.tenant, message.channel) if self._tenant_secrets else []
        await self.post(self.url, outbound_body(message), message.idempotency_key, own or None)

    async def post(
        self, url: str, payload: dict[str, Any], key: str, secrets: Sequence[str] | None = None
    ) -> None:
        """POST the payload signed with `secrets` (default: the gateway secret, if any)."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        signing = secrets or ([self._secret] if self._secret else [])
        if signing:
            headers |= webhook_signature.headers(signing, key, int(time.time()), body)
        else:
            headers["webhook-id"] = key
        try:
            async with self._http.get().post(
                url, data=body, headers=headers, allow_redirects=not self._public_only
            ) as response:
                if self._public_only and 300 <= response.status < 400:
                    raise refused(f"Gateway answered HTTP {response.status}, a redirect not followed")
                raise_for_status(response.status, "Gateway", response.headers.get("Retry-After"))
        except aiohttp.InvalidURL:  # the rule's URL (its host) is none aiohttp can reach: for good
            raise refused("Gateway URL cannot be reached as written") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unreachable("Gateway", exc) from None


def outbound_body(message: OutboundMessage) -> dict[str, Any]:
    """What a gateway, the notify endpoint or a rule's notification URL receives for a message."""
    return {
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
