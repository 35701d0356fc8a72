"""Exactly once, in every thread: conversations driven over HTTP through reply, solve, reopen, close
and new threads, with every request sent twice (a client retrying) and a channel that fails now and
then, counted at the far side of the real channel adapters (a webhook gateway, an SMTP server)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from temporalio.client import Client

from engine.service.config import Settings
from tests.api_client import ApiClient, Reply
from tests.conftest import serve_service
from tests.late_sends import sends_settled
from tests.local_servers import FakeGateway, GatewayRequest, serve_gateway, serve_smtp
from tests.test_adapters import with_gateway

CONVERSATIONS = 5
THREADS = 3


async def twice(send: Callable[..., Awaitable[Reply]], *args: Any, **kwargs: Any) -> Reply:
    """A client that retries every request once: both answers must agree on what happened."""
    first = await send(*args, **kwargs)
    second = await send(*args, **kwargs)
    assert first.status in (200, 201) and second.status == 200, (first, second)
    assert second.body["duplicate"] is True and second.body["seq"] == first.body["seq"]
    return first


async def drive(api: ApiClient, conversation: str, channel: str, sender: str) -> None:
    """Three threads: message, reply, solve, the customer reopens, reply, close; then a new thread."""
    for thread in range(1, THREADS + 1):
        ids = f"{conversation}-t{thread}"
        message = {"channel": channel, "sender": {"address": sender}}
        path = f"/v1/conversations/{conversation}"
        opened = await twice(
            api.request,
            "POST",
            f"{path}/messages",
            json={**message, "message_id": f"{ids}-m1", "text": "help"},
        )
        assert opened.body["thread"] == thread
        for n in (1, 2):
            reply = {
                "agent_id": "agent-1",
                "text": f"answer {conversation}/{thread}/{n}",
                "message_id": f"{ids}-r{n}",
            }
            await twice(api.request, "POST", f"{path}/replies", json=reply)
            if n == 1:
                assert (await api.request("POST", f"{path}/status", json={"status": "solved"})).status == 200
                reopened = await twice(
                    api.request,
                    "POST",
                    f"{path}/messages",
                    json={**message, "message_id": f"{ids}-m2", "text": "again"},
                )
                assert reopened.body["status"] == "open" and reopened.body["thread"] == thread
        assert (await api.request("POST", f"{path}/status", json={"status": "closed"})).status == 200


@dataclass
class FlakyGateway(FakeGateway):
    """Fails the first attempt of every third send: the activity retries it, with the same key."""

    failed: set[str] = field(default_factory=set)

    async def handle(self, request: web.Request) -> web.Response:
        key = request.headers["Idempotency-Key"]
        if len(self.accepted) % 3 == 0 and key not in self.failed and key not in self.accepted:
            self.failed.add(key)
            self.requests.append(GatewayRequest(dict(request.headers), await request.read()))
            return web.json_response({"status": 503}, status=503)
        return await super().handle(request)


async def expected_sends(api: ApiClient, conversation: str) -> tuple[int, set[str]]:
    """Acknowledgements the decision trail says were sent, and the agent reply texts posted."""
    trail = (await api.request("GET", f"/v1/conversations/{conversation}/decisions")).body["decisions"]
    acks = sum(
        1
        for entry in trail
        for done in entry["executed"]
        if done["action"]["type"] == "reply" and done["outcome"] == "done"
    )
    replies = {f"answer {conversation}/{t}/{n}" for t in range(1, THREADS + 1) for n in (1, 2)}
    return acks, replies


async def test_every_acknowledgement_and_reply_reaches_the_gateway_once_in_every_thread(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    gateway = FlakyGateway()
    async with serve_gateway(gateway):
        async with serve_service(client, with_gateway(settings, gateway), tenants) as api:
            names = [f"wa-{i}" for i in range(CONVERSATIONS)]
            await asyncio.gather(
                *(drive(api, n, "whatsapp", f"+49151000000{i:02}") for i, n in enumerate(names))
            )
            for name in names:  # a send the gateway refused went on in the background
                await sends_settled(api, name)
            expected = {n: await expected_sends(api, n) for n in names}
    assert any(r for r in gateway.requests if r.json["kind"] == "agent_reply")
    for name, (acks, replies) in expected.items():
        accepted = [m for m in gateway.accepted.values() if m["conversation_id"] == name]
        texts = Counter(m["text"] for m in accepted if m["kind"] == "agent_reply")
        assert texts == Counter(replies), f"{name}: replies delivered {texts}"
        ack_count = sum(1 for m in accepted if m["kind"] == "auto_reply")
        assert acks == THREADS and ack_count == acks, f"{name}: {ack_count} acknowledgements for {acks}"
    assert len(gateway.requests) > len(gateway.accepted), "some sends were retried after a 503"


async def test_every_acknowledgement_and_reply_is_mailed_once_in_every_thread(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    with serve_smtp() as (port, inbox):
        chosen = settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
        )
        async with serve_service(client, chosen, tenants) as api:
            names = [f"mail-{i}" for i in range(CONVERSATIONS)]
            await asyncio.gather(
                *(drive(api, n, "email", f"c{i}@customer.example") for i, n in enumerate(names))
            )
            expected = {n: await expected_sends(api, n) for n in names}
    message_ids = [m["Message-ID"] for m in inbox.messages]
    assert len(message_ids) == len(set(message_ids)), "no message was mailed twice"
    for i, (name, (acks, replies)) in enumerate(expected.items()):
        mine = [m for m in inbox.messages if m["To"] == f"c{i}@customer.example"]
        bodies = [m.get_body(preferencelist=("plain",)).get_content().strip() for m in mine]
        assert Counter(b for b in bodies if b.startswith("answer ")) == Counter(replies), name
        assert acks == THREADS and len([b for b in bodies if not b.startswith("answer ")]) == acks, name
