"""The far side of the webhook gateway for the chaos benchmark: records every outbound send it gets.

Why a receiver of our own rather than tests/local_servers.FakeGateway: the benchmark must see every
delivery attempt, including the ones a real gateway would dedup, because "same idempotency key twice"
(a transport retry, harmless) and "two keys carrying the same reply" (a duplicate send, a bug) are
different findings. It can also answer 503 *after* recording a request, the case an `Idempotency-Key`
exists for: the gateway got the message but the sender believes it failed and sends it again.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field

from aiohttp import web

from engine import webhook_signature


@dataclass(frozen=True, kw_only=True)
class Received:
    """One POST the gateway received, as the benchmark needs it."""

    key: str
    """The `Idempotency-Key` header: one logical send keeps it across every retry."""
    conversation: str
    """The conversation's external id (the payload's `conversation_id`)."""
    kind: str
    """auto_reply, agent_reply, survey, ..."""
    template: str | None
    """The pack template an automatic message came from (acknowledgement, ...)."""
    text: str
    at: float
    """`time.monotonic()` at arrival: orders sends against the client's requests."""
    signed: bool
    """The Standard Webhooks signature verified with the configured secret."""


@dataclass
class RecordingGateway:
    """An aiohttp handler that records each request, then answers 200 (or 503 at `fail_rate`)."""

    secret: str
    fail_rate: float = 0.0
    seed: int = 12
    received: list[Received] = field(default_factory=list)
    failed_on_purpose: int = 0
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            webhook_signature.verify(self.secret, dict(request.headers), body, int(time.time()))
            signed = True
        except webhook_signature.SignatureError:
            signed = False
        payload = json.loads(body)
        self.received.append(
            Received(
                key=request.headers.get("Idempotency-Key", ""),
                conversation=str(payload.get("conversation_id")),
                kind=str(payload.get("kind")),
                template=payload.get("template"),
                text=str(payload.get("text")),
                at=time.monotonic(),
                signed=signed,
            )
        )
        if self._random.random() < self.fail_rate:
            self.failed_on_purpose += 1
            return web.json_response({"error": "chaos"}, status=503)
        return web.json_response({"ok": True})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/send", self.handle)
        return app
