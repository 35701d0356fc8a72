"""SLA accuracy: how late a breach is recorded after its exact deadline, under `make run` defaults
(the dev server as `convoflow up` starts it: SQLite file, timers on the server's ~1 s tick).

The bench writes a pack whose first-response SLA is a few seconds (bench/sla_timing.py), opens
conversations on it with one customer message each (a convoflow worker in its own process), waits for
every deadline to pass and reads, per conversation, the breach's recorded time minus the deadline
the workflow computed. Figure: p95 of that delay (goal < 60 ms); there is no baseline, the exact
deadline is the reference.

    python -m bench sla-accuracy                 # 120 conversations, 4 s SLA
    BENCH_SLA_CONVERSATIONS=200 python -m bench sla-accuracy
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench import stack
from bench.conversations import first_message, workflow_id
from bench.results import Result
from bench.sla_timing import breaches, delay_parts, write_pack
from bench.stats import arrival_times, percentile
from engine.service.temporal_client import connect

SLA_SECONDS = 4.0
OPENINGS_PER_SECOND = 4.0
"""Conversations open at this mean rate, so their deadlines (and warnings, and the early wake-ups before
each) come at that rate too: the figure is timer accuracy. Opened as fast as possible, 60 deadlines
fell within about a second and the figure measured the worker's backlog in that burst (p50 ~0.9 s)."""


async def paced(count: int, per_second: float, open_one: Callable[[int], Awaitable[object]]) -> None:
    """Call `open_one(i)` for i in range(count), each at its `arrival_times` instant from now."""
    loop = asyncio.get_running_loop()
    begin = loop.time()
    times = arrival_times(count, per_second)

    async def at_its_time(i: int) -> None:
        await asyncio.sleep(max(0.0, begin + times[i] - loop.time()))
        await open_one(i)

    await asyncio.gather(*(at_its_time(i) for i in range(count)))


async def run(count: int) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        async with stack.dev_server(data) as server:  # as `convoflow up`: a file, its timer settings
            pack = write_pack(data / "pack", SLA_SECONDS)
            settings = stack.bench_settings(server, data, rule_pack=pack)
            pack_hash = await stack.prepare(settings)
            client = await connect(settings)
            names = [f"sla-{n}-{uuid.uuid4().hex[:6]}" for n in range(count)]
            with stack.child(stack.convoflow_worker, settings):
                await first_message(client, settings, pack_hash, "warm-up")
                await paced(
                    count, OPENINGS_PER_SECOND, lambda i: first_message(client, settings, pack_hash, names[i])
                )
                found = await breaches(client, [workflow_id(n) for n in names], within=SLA_SECONDS + 60)
                parts = [delay_parts(b.deadline, b.recorded, timers) for b, timers in found.values()]
    if len(found) < count:
        raise SystemExit(f"{count - len(found)} of {count} SLA breaches were never recorded")
    ms = sorted(b.delay * 1000 for b, _ in found.values())
    print(f"{count} conversations, first-response SLA {SLA_SECONDS:g} s on a 24/7 calendar")
    print(
        f"breach recorded after the exact deadline: p50 {percentile(ms, 50):.0f} ms, "
        f"p95 {percentile(ms, 95):.0f} ms, max {ms[-1]:.0f} ms, min {ms[0]:.0f} ms"
    )
    for part in parts[0] if parts else ():
        share = [p[part] * 1000 for p in parts]
        print(
            f"  of which {part:14} p50 {percentile(share, 50):6.0f} ms, p95 {percentile(share, 95):6.0f} ms"
        )
    return [
        Result(
            "sla-accuracy: SLA breach recorded after its deadline, p95",
            percentile(ms, 95),
            "ms",
            None,
            "< 60 ms",
        )
    ]


def main() -> list[Result]:
    return asyncio.run(run(int(os.environ.get("BENCH_SLA_CONVERSATIONS", "120"))))


if __name__ == "__main__":
    main()
