"""Worker memory per open conversation: RSS growth of a convoflow worker holding N open, idle, cached
conversations, next to a bare worker holding N open trivial workflows, in the same run.

Each worker runs in its own process (bench/stack.py); the bench process opens the workflows with one
first message each (update-with-start straight to Temporal: the API is not what is measured), waits
until the worker is idle, and reads its RSS with psutil. Growth is measured from a baseline taken
after a warm-up (imports done, the pack compiled), and scaled to 1,000 workflows. Both workers'
workflow caches hold every workflow opened (the SDK default of 1,000, or
CONVOFLOW_MAX_CACHED_WORKFLOWS where the build has it), so nothing is evicted and replayed.

The same count is then opened on the realistic 200-rule pack (bench/realistic_pack.py), in a worker
of its own: a row without a goal, since a decision records every rule of its event.

    python -m bench memory                      # 500 of each
    BENCH_MEMORY_CONVERSATIONS=900 python -m bench memory
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import psutil
from temporalio.client import Client

from bench import stack
from bench.conversations import bare_first_message, first_message
from bench.lifecycle_bench import gather_bounded
from bench.realistic_pack import realistic_pack
from bench.results import Result
from bench.stats import scaled
from engine.service.config import Settings
from engine.service.temporal_client import connect

BARE_QUEUE = "bare-memory"
WARM_UP = 20
SDK_DEFAULT_CACHE = 1000
REALISTIC_RULES = 200
"""A second convoflow row opens the same count on bench/realistic_pack.py's pack (no goal of its own):
each decision records every rule of its event, so a large pack's conversations hold more."""


def open_conversation(
    client: Client, settings: Settings, pack_hash: str
) -> Callable[[int], Awaitable[object]]:
    async def open_one(n: int) -> None:
        await first_message(client, settings, pack_hash, f"mem-{n}-{uuid.uuid4().hex[:6]}")

    return open_one


def open_bare(client: Client) -> Callable[[int], Awaitable[object]]:
    async def first_message(n: int) -> None:
        await bare_first_message(client, f"bare-mem-{n}-{uuid.uuid4().hex[:6]}", BARE_QUEUE)

    return first_message


async def growth(worker: psutil.Process, open_one: Callable[[int], Awaitable[object]], count: int) -> int:
    """RSS bytes `worker` gained holding `count` more open workflows, after a warm-up."""
    await gather_bounded(lambda i: open_one(-1 - i), WARM_UP)
    await stack.settle(worker)
    before = worker.memory_info().rss
    await gather_bounded(open_one, count)
    await stack.settle(worker)
    return worker.memory_info().rss - before


async def run(count: int) -> list[Result]:
    cache = count + WARM_UP + 10
    with tempfile.TemporaryDirectory() as tmp:
        async with stack.dev_server() as server:
            settings = stack.bench_settings(server, Path(tmp))
            if "max_cached_workflows" in Settings.model_fields:
                settings = stack.bench_settings(server, Path(tmp), max_cached_workflows=cache)
            elif cache > SDK_DEFAULT_CACHE:
                most = SDK_DEFAULT_CACHE - WARM_UP - 10
                raise SystemExit(f"the worker caches {SDK_DEFAULT_CACHE} workflows: open at most {most}")
            pack_hash = await stack.prepare(settings)
            large_hash = await stack.store_pack(settings, realistic_pack(REALISTIC_RULES))
            client = await connect(settings)
            with (
                stack.child(stack.convoflow_worker, settings) as worker,
                stack.child(stack.bare_worker, server.address, BARE_QUEUE, cache) as bare,
            ):
                mine = await growth(worker, open_conversation(client, settings, pack_hash), count)
                theirs = await growth(bare, open_bare(await Client.connect(server.address)), count)
                rss = worker.memory_info().rss, bare.memory_info().rss
            # A worker of its own, whose cache holds none of the conversations above.
            with stack.child(stack.convoflow_worker, settings) as worker:
                large = await growth(worker, open_conversation(client, settings, large_hash), count)
    print(f"{count} open workflows each (after {WARM_UP} to warm up); worker cache {cache}")
    print(f"convoflow worker: +{mine / 1e6:.1f} MB, RSS now {rss[0] / 1e6:.0f} MB")
    print(f"bare worker:      +{theirs / 1e6:.1f} MB, RSS now {rss[1] / 1e6:.0f} MB")
    print(f"convoflow worker, realistic {REALISTIC_RULES}-rule pack: +{large / 1e6:.1f} MB")
    return [
        Result(
            "memory: worker RSS growth per 1,000 open conversations",
            scaled(mine, count),
            "MB",
            scaled(theirs, count),
            "<= 2x",
        ),
        Result(
            f"memory: worker RSS growth per 1,000 open conversations, realistic {REALISTIC_RULES}-rule pack",
            scaled(large, count),
            "MB",
            scaled(theirs, count),
        ),
    ]


def main() -> list[Result]:
    return asyncio.run(run(int(os.environ.get("BENCH_MEMORY_CONVERSATIONS", "500"))))


if __name__ == "__main__":
    main()
