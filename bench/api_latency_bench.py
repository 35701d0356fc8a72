"""API latency: POST a conversation's first message and its next message through the HTTP API, next
to a bare update-with-start (first) and update (next) on a trivial workflow, in the same run.

Processes (bench/stack.py): the embedded dev server, the API as `convoflow up` serves it (payload
encryption on, rate limits off), a convoflow worker, and a bare worker for `BareConversation`; the
bench process is the client of both. Each series runs at concurrency 1 and 8; the samples are taken
in rounds that alternate convoflow and bare, so load from elsewhere on the machine falls on both
alike. Figures: p50 and p99 of each of the 8 series, each as a ratio to its bare twin (goal <= 1.5x).

    python -m bench api-latency                  # 200 samples per series
    BENCH_API_SAMPLES=400 python -m bench api-latency
    python -m bench api-latency --wait decided   # POST ...?wait=decided: answered after the rules
    python -m bench api-latency --pause 0.3      # each lane pauses after a call: the answer alone

The API answers a message when the conversation recorded it (issue 15); `--wait decided` measures the
answer that waits for its rules and actions, as every message was answered before. Back to back
(the default), a message's answer shares the worker with the handling of the messages answered just
before it; `--pause` leaves each lane idle for that long after a call (both sides alike), so the
figure is the answer's own path.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import aiohttp
from temporalio.client import Client

from bench import stack
from bench.bare_workflow import BareConversation
from bench.conversations import bare_first_message
from bench.results import Result
from bench.stats import percentile

BARE_QUEUE = "bare-api"
CONCURRENCIES = (1, 8)
ROUNDS = 4
WARM_UP = 8


async def timed(
    calls: Sequence[Callable[[], Awaitable[object]]], concurrency: int, pause: float = 0.0
) -> list[float]:
    """Seconds each call took, `concurrency` of them in flight at any time (each lane idle for
    `pause` seconds after a call)."""
    pending = iter(calls)
    out: list[float] = []

    async def lane() -> None:
        for call in pending:
            started = time.perf_counter()
            await call()
            out.append(time.perf_counter() - started)
            if pause:
                await asyncio.sleep(pause)

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return out


class Convoflow:
    """Messages through the API, as an integrator posts them."""

    def __init__(self, session: aiohttp.ClientSession, base: str, wait: str = "recorded") -> None:
        self.session, self.base, self.wait = session, base, wait

    def message(self, conversation: str, n: int) -> Callable[[], Awaitable[None]]:
        async def post() -> None:
            body = {
                "message_id": f"m-{n}",
                "channel": "email",
                "sender": {"address": "ada@example.com"},
                "text": "Hello, my invoice is wrong",
            }
            url = f"{self.base}/v1/conversations/{conversation}/messages?wait={self.wait}"
            headers = {"Authorization": f"Bearer {stack.API_KEY}"}
            async with self.session.post(url, json=body, headers=headers) as resp:
                await resp.read()
                if resp.status != (201 if n == 1 else 200):
                    raise RuntimeError(f"POST message {n}: HTTP {resp.status}")

        return post


class Bare:
    """The same two calls on the trivial workflow, straight from an SDK client."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def message(self, conversation: str, n: int) -> Callable[[], Awaitable[None]]:
        async def call() -> None:
            if n == 1:
                await bare_first_message(self.client, conversation, BARE_QUEUE)
            else:
                handle = self.client.get_workflow_handle_for(BareConversation.run, conversation)
                await handle.execute_update(BareConversation.receive, "again")

        return call


async def series(
    side: Convoflow | Bare, samples: int, concurrency: int, pause: float = 0.0
) -> dict[str, list[float]]:
    """First and then next message latencies of `samples` new conversations."""
    ids = [f"lat-{concurrency}-{uuid.uuid4().hex[:10]}" for _ in range(samples)]
    first = await timed([side.message(c, 1) for c in ids], concurrency, pause)
    return {"first": first, "next": await timed([side.message(c, 2) for c in ids], concurrency, pause)}


async def run(samples: int, wait: str = "recorded", pause: float = 0.0) -> list[Result]:
    figures: dict[tuple[str, int], tuple[list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with stack.dev_server() as server:
            settings = stack.bench_settings(server, Path(tmp))
            await stack.prepare(settings)
            with (
                stack.child(stack.convoflow_worker, settings),
                stack.child(stack.bare_worker, server.address, BARE_QUEUE),
                stack.child(stack.api, settings) as api,
            ):
                base = f"http://127.0.0.1:{settings.api_port}"
                await stack.wait_healthy(base, api)
                connector = aiohttp.TCPConnector(limit=max(CONCURRENCIES))
                async with aiohttp.ClientSession(connector=connector) as session:
                    convoflow = Convoflow(session, base, wait)
                    bare = Bare(await Client.connect(server.address))
                    for side in (convoflow, bare):  # connections, caches, the pack's first compile
                        await series(side, WARM_UP, 1)
                    for concurrency in CONCURRENCIES:
                        mine: dict[str, list[float]] = {"first": [], "next": []}
                        theirs: dict[str, list[float]] = {"first": [], "next": []}
                        per_round = -(-samples // ROUNDS)
                        for _ in range(ROUNDS):  # alternate, so background load hits both sides
                            for got, side in ((mine, convoflow), (theirs, bare)):
                                taken = await series(side, per_round, concurrency, pause)
                                for kind, values in taken.items():
                                    got[kind] += values
                        for kind in ("first", "next"):
                            figures[(kind, concurrency)] = (mine[kind], theirs[kind])
    label = " (?wait=decided)" if wait == "decided" else ""
    label += f" ({pause:g} s apart)" if pause else ""
    rows = []
    for (kind, concurrency), (mine_s, bare_s) in figures.items():
        print(
            f"{kind} message, concurrency {concurrency}: {len(mine_s)} samples; "
            f"p50 {percentile(mine_s, 50) * 1000:.0f} ms (bare {percentile(bare_s, 50) * 1000:.0f}), "
            f"p99 {percentile(mine_s, 99) * 1000:.0f} ms (bare {percentile(bare_s, 99) * 1000:.0f})"
        )
        for q in (50, 99):
            rows.append(
                Result(
                    f"api-latency: {kind} message{label} p{q}, concurrency {concurrency}",
                    percentile(mine_s, q) * 1000,
                    "ms",
                    percentile(bare_s, q) * 1000,
                    "<= 1.5x",
                )
            )
    return rows


def main(argv: list[str] | None = None) -> list[Result]:
    """`python -m bench api-latency [--wait recorded|decided] [--pause SECONDS]`."""
    parser = argparse.ArgumentParser(prog="python -m bench api-latency")
    parser.add_argument("--wait", choices=("recorded", "decided"), default="recorded")
    parser.add_argument("--pause", type=float, default=0.0, help="seconds each lane idles after a call")
    args = parser.parse_args(argv or [])
    return asyncio.run(run(int(os.environ.get("BENCH_API_SAMPLES", "200")), args.wait, args.pause))


if __name__ == "__main__":
    main()
