"""Event subscriptions: latency from the action to the receiver, and delivery throughput.

The service runs as deployed (dev server, a convoflow worker and the API in their own processes,
a SQLite control-plane file); the receiver is an aiohttp server in this process on 127.0.0.1, so
the latency is one clock: from just before the API call to the moment the event's request reached
the receiver.

- Latency: one new conversation at a time (a customer's first message through the API) until its
  `conversation.created` event arrives. Baseline: a bare signed aiohttp POST of an event-sized body
  to the same receiver (what the delivery itself costs), and the API call's own answer time (the
  event is written and sent inside the conversation's handling of the call).
- Throughput: events queued while the receiver is down (conversations driven through the API), then
  the receiver comes back and the dispatcher drains the queue; events delivered per second from
  then until the last one arrived. Baseline: the same number of bare POSTs to the receiver with the
  dispatcher's concurrency (CONVOFLOW_SUBSCRIPTION_CONCURRENCY).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bench import stack
from bench.results import Result
from bench.stats import percentile
from engine import webhook_signature
from engine.service.temporal_server import free_port

LATENCY_SAMPLES = 100
DRAIN_CONVERSATIONS = 40
MESSAGES_EACH = 3  # created + received, then two more received: 4 events a conversation
CONCURRENCY = 16


class Receiver:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}  # "conversation/type/sequence" -> perf_counter
        self.count = 0
        self.changed = asyncio.Event()
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        now = time.perf_counter()
        event = json.loads(body)
        if "conversation_id" in event:
            key = f"{event['conversation_id']}/{event['type']}/{event['sequence']}"
            self.arrivals.setdefault(key, now)
        self.count += 1
        self.changed.set()
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/events", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def until(self, check: Callable[[], bool], within: float = 120.0) -> None:
        async with asyncio.timeout(within):
            while not check():
                self.changed.clear()
                await self.changed.wait()


async def lanes(calls: list[Callable[[], Awaitable[None]]], concurrency: int) -> None:
    queue = list(reversed(calls))

    async def lane() -> None:
        while queue:
            await queue.pop()()

    await asyncio.gather(*(lane() for _ in range(concurrency)))


async def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        async with stack.dev_server() as server:
            settings = stack.bench_settings(
                server,
                data,
                subscription_private_tenants=stack.TENANT,
                subscription_retry_first_seconds=0.05,
                subscription_retry_max_seconds=0.2,
            )
            await stack.prepare(settings)
            receiver = Receiver()
            await receiver.start()
            base = f"http://127.0.0.1:{settings.api_port}"
            auth = {"Authorization": f"Bearer {stack.API_KEY}"}
            with stack.child(stack.convoflow_worker, settings), stack.child(stack.api, settings) as api:
                await stack.wait_healthy(base, api)
                async with aiohttp.ClientSession(headers=auth) as session:
                    subscribed = await session.post(
                        f"{base}/v1/subscriptions",
                        json={
                            "url": f"http://127.0.0.1:{receiver.port}/events",
                            "events": ["conversation.created", "message.received"],
                            "allow_private": True,
                        },
                    )
                    assert subscribed.status == 201, await subscribed.text()
                    secret = (await subscribed.json())["secret"]

                    async def message(conversation: str, n: int) -> None:
                        body = {
                            "message_id": f"{conversation}-{n}",
                            "channel": "chat",
                            "sender": {"address": f"{conversation}@example.com"},
                            "text": "Hello, my invoice is wrong",
                        }
                        url = f"{base}/v1/conversations/{conversation}/messages"
                        async with session.post(url, json=body) as reply:
                            assert reply.status in (200, 201), await reply.text()

                    for i in range(5):  # warm: worker caches, pack compiled, connections open
                        await message(f"warm-{i}", 1)
                    await receiver.until(lambda: receiver.count >= 10)

                    latencies, answers = [], []
                    for i in range(LATENCY_SAMPLES):
                        key = f"lat-{i}/conversation.created/1"
                        started = time.perf_counter()
                        await message(f"lat-{i}", 1)
                        answers.append(time.perf_counter() - started)
                        await receiver.until(lambda key=key: key in receiver.arrivals)
                        latencies.append(receiver.arrivals[key] - started)

                    bare = await bare_posts(receiver, secret, LATENCY_SAMPLES)

                    await receiver.stop()
                    calls = [
                        (lambda c=f"drain-{c}", n=n: message(c, n))
                        for c in range(DRAIN_CONVERSATIONS)
                        for n in range(1, MESSAGES_EACH + 1)
                    ]
                    await lanes(calls, CONCURRENCY)
                    expected = DRAIN_CONVERSATIONS * (MESSAGES_EACH + 1)
                    before = sum(1 for k in receiver.arrivals if k.startswith("drain-"))
                    await receiver.start()
                    drain_started = time.perf_counter()
                    await receiver.until(
                        lambda: sum(1 for k in receiver.arrivals if k.startswith("drain-")) >= expected
                    )
                    drained = (expected - before) / (time.perf_counter() - drain_started)
                    bare_rate = await bare_throughput(receiver, secret, expected - before)
            await receiver.stop()
    ms = 1000.0
    p50, p99 = percentile(latencies, 50) * ms, percentile(latencies, 99) * ms
    print(
        f"  action -> receiver: p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(latencies)} events "
        f"(the API call itself: p50 {percentile(answers, 50) * ms:.1f} ms); bare POST p50 "
        f"{percentile(bare, 50) * ms:.2f} ms, p99 {percentile(bare, 99) * ms:.2f} ms"
    )
    print(f"  drain: {drained:.0f} events/s (bare POSTs, {CONCURRENCY} at once: {bare_rate:.0f}/s)")
    return [
        Result("event delivery p50 (action to receiver)", p50, "ms", percentile(bare, 50) * ms),
        Result("event delivery p99 (action to receiver)", p99, "ms", percentile(bare, 99) * ms),
        # the event against the action's own answer: below 1x, the receiver hears first
        Result("event delivery p50 vs the API call's answer", p50, "ms", percentile(answers, 50) * ms),
        Result("event delivery throughput (queue drain)", drained, "events/s", bare_rate),
    ]


def _signed(secret: str, n: int) -> tuple[bytes, dict[str, str]]:
    body: dict[str, Any] = {
        "type": "conversation.created",
        "id": f"bare:{n}",
        "conversation_id": f"bare-{n}",
        "sequence": 1,
        "occurred_at": "2026-12-01T10:00:00+00:00",
        "data": {"channel": "chat", "message_id": f"bare-{n}-1"},
    }
    raw = json.dumps(body, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json"}
    return raw, headers | webhook_signature.headers(secret, f"bare:{n}", int(time.time()), raw)


async def bare_posts(receiver: Receiver, secret: str, samples: int) -> list[float]:
    """The baseline: one signed POST at a time to the same receiver, round trip."""
    url = f"http://127.0.0.1:{receiver.port}/events"
    timings = []
    async with aiohttp.ClientSession() as session:
        for n in range(samples):
            raw, headers = _signed(secret, n)
            started = time.perf_counter()
            async with session.post(url, data=raw, headers=headers) as reply:
                assert reply.status == 204
            timings.append(time.perf_counter() - started)
    return timings


async def bare_throughput(receiver: Receiver, secret: str, count: int) -> float:
    url = f"http://127.0.0.1:{receiver.port}/events"
    async with aiohttp.ClientSession() as session:

        async def post(n: int) -> None:
            raw, headers = _signed(secret, n)
            async with session.post(url, data=raw, headers=headers) as reply:
                assert reply.status == 204

        started = time.perf_counter()
        await lanes([(lambda n=n: post(n)) for n in range(count)], CONCURRENCY)
        return count / (time.perf_counter() - started)


def main(options: list[str] | None = None) -> list[Result]:
    if options:
        sys.exit("python -m bench events takes no options")
    return asyncio.run(run())
