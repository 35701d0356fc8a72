"""An integrator's event receiver on 127.0.0.1 that can be down, fail, be slow, and come back.

Signatures are checked here as the Standard Webhooks specification describes them, written from the
spec's text and sharing no code with convoflow's signer (engine/webhook_signature.py): the signed
content is `{webhook-id}.{webhook-timestamp}.{body}`, the key the base64 after `whsec_`, HMAC-SHA256,
and `webhook-signature` a space-separated list of `v1,<base64>` of which one must match.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from engine.service.temporal_server import free_port


def standard_webhooks_verify(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> bool:
    """True when one of the signatures in `webhook-signature` is `secret`'s over this request."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, signatures = lower["webhook-id"], lower["webhook-timestamp"], lower["webhook-signature"]
    if abs(time.time() - int(stamp)) > tolerance:
        return False
    key = base64.b64decode(secret.split("_", 1)[1])
    expected = base64.b64encode(hmac.digest(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256))
    for versioned in signatures.split(" "):
        version, _, signature = versioned.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            return True
    return False


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


LATE_SECONDS = 3.0


@dataclass
class EventReceiver:
    """Records every request that reached it; answers per `plan` ("500", "slow", "late"), then 204."""

    plan: list[str] = field(default_factory=list)
    plan_by_sequence: dict[int, list[str]] = field(default_factory=dict)
    """Answers for one event sequence's requests, before `plan`'s."""
    received: list[Received] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    _runner: web.AppRunner | None = None
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/events"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/events", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        """Down: connections to the port are refused until `start`."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def close(self) -> None:
        self._released.set()  # slow answers finish so the server can close
        await self.stop()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        async with self._changed:
            self.received.append(Received(dict(request.headers), body))
            self._changed.notify_all()
        planned = self.plan_by_sequence.get(json.loads(body).get("sequence"), [])
        answer = planned.pop(0) if planned else self.plan.pop(0) if self.plan else "204"
        if answer == "slow":  # past the sender's timeout: it gives up and tries again later
            await self._released.wait()
        if answer == "late":  # a receiver that takes a while (within the sender's timeout)
            await asyncio.sleep(LATE_SECONDS)
        return web.Response(status=500 if answer == "500" else 204)

    async def wait_for(self, predicate: Any, within: float = 20.0) -> None:
        """Until `predicate(self)` holds (checked at every request), or fail after `within` seconds."""
        try:
            async with asyncio.timeout(within), self._changed:
                await self._changed.wait_for(lambda: predicate(self))
        except TimeoutError:
            raise AssertionError(f"the receiver did not get what was expected within {within}s") from None

    def events(self) -> list[dict[str, Any]]:
        return [r.event for r in self.received]

    def first_arrivals(self, conversation_id: str) -> list[dict[str, Any]]:
        """Each event of the conversation once, in the order it first arrived."""
        seen: set[str] = set()
        found = []
        for event in self.events():
            if event["conversation_id"] == conversation_id and event["id"] not in seen:
                seen.add(event["id"])
                found.append(event)
        return found
