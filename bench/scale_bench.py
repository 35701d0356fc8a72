"""Scale: many open conversations on one machine. Opened through the API without an error, every SLA
timer fires on time, and the worker's memory stays within its bound. Runs only when named:

    python -m bench scale --conversations 1000
    python -m bench scale                          # 10,000 (tens of minutes on 2 cores)
    python -m bench scale --per-second 4           # 10,000 opened at a pace the worker keeps up with

Processes (bench/stack.py) as `convoflow up` runs them: the dev server on a SQLite file with its
timer settings, the API, and one convoflow worker whose workflow cache is its default (or
CONVOFLOW_MAX_CACHED_WORKFLOWS), so at 10,000 most conversations are evicted and replayed when their
timer fires. Every conversation gets a first-response SLA of `--sla-seconds` (bench/sla_timing.py),
so breaches fire while later conversations are still being opened. The worker's RSS is sampled every
half second until the last breach; the breach delays are read afterwards (queries, which replay
evicted conversations: that part is not in the memory figure).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import psutil

from bench import stack
from bench.api_latency_bench import Convoflow
from bench.conversations import workflow_id
from bench.results import Result
from bench.sla_timing import breaches, why_no_breach, write_pack
from bench.stats import arrival_times, percentile
from engine.service.temporal_client import connect

# Conversations whose breach never came that the run describes (bench/sla_timing.py why_no_breach).
MISSING_SHOWN = 10


async def sample_rss(process: psutil.Process, peak: list[int], stop: asyncio.Event) -> None:
    """Keep peak[0] at the highest RSS seen until `stop`."""
    while not stop.is_set():
        peak[0] = max(peak[0], process.memory_info().rss)
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except TimeoutError:
            pass


async def open_all(
    api: Convoflow, names: list[str], concurrency: int, per_second: float | None = None
) -> tuple[dict[str, int], float]:
    """Post each conversation's first message, as fast as `concurrency` lanes go or, with
    `per_second`, each at its instant of a Poisson process of that mean rate. Returns the counts of
    answers by outcome and how far (s) the latest opening started behind its instant: the pace holds
    only while the lanes keep up with it."""
    outcomes: dict[str, int] = {}
    pending = iter(enumerate(names))
    loop = asyncio.get_running_loop()
    begin = loop.time()
    at = arrival_times(len(names), per_second) if per_second else None
    behind = [0.0]

    async def lane() -> None:
        for n, name in pending:
            if at is not None:
                wait = begin + at[n] - loop.time()
                behind[0] = max(behind[0], -wait)
                await asyncio.sleep(max(0.0, wait))
            try:
                await api.message(name, 1)()
                outcome = "created"
            except Exception as exc:  # counted and reported, never hidden
                outcome = type(exc).__name__ + (f": {exc}" if isinstance(exc, RuntimeError) else "")
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            done = sum(outcomes.values())
            if done % max(len(names) // 10, 1) == 0:
                print(f"  {done} of {len(names)} opened", flush=True)

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return outcomes, behind[0]


async def run(args: argparse.Namespace) -> list[Result]:
    count = args.conversations
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        async with stack.dev_server(data) as server:
            pack = write_pack(data / "pack", args.sla_seconds)
            settings = stack.bench_settings(server, data, rule_pack=pack)
            await stack.prepare(settings)
            client = await connect(settings)
            names = [f"scale-{n}-{uuid.uuid4().hex[:6]}" for n in range(count)]
            with (
                stack.child(stack.convoflow_worker, settings) as worker,
                stack.child(stack.api, settings) as api_process,
            ):
                base = f"http://127.0.0.1:{settings.api_port}"
                await stack.wait_healthy(base, api_process)
                peak, stop = [0], asyncio.Event()
                sampler = asyncio.create_task(sample_rss(worker, peak, stop))
                started = time.monotonic()
                connector = aiohttp.TCPConnector(limit=args.concurrency)
                async with aiohttp.ClientSession(connector=connector) as session:
                    outcomes, behind = await open_all(
                        Convoflow(session, base), names, args.concurrency, args.per_second
                    )
                opened_s = time.monotonic() - started
                await asyncio.sleep(args.sla_seconds + 2)  # the last deadline, and time for its breach
                stop.set()
                await sampler
                ids = [workflow_id(n) for n in names]
                delays = await breaches(client, ids, within=120)
                for wf_id in [i for i in ids if i not in delays][:MISSING_SHOWN]:
                    print("  no breach: " + await why_no_breach(client, wf_id), flush=True)
    created = outcomes.get("created", 0)
    ms = sorted(b.delay * 1000 for b, _ in delays.values()) or [float("nan")]
    print(f"{count} conversations opened through the API in {opened_s:.0f} s ({count / opened_s:.1f}/s)")
    print(f"  answers: {outcomes}")
    if args.per_second:
        print(f"  paced at {args.per_second:g}/s; the latest opening began {behind:.2f} s behind its instant")
    print(f"  SLA breaches recorded: {len(delays)} of {count}")
    p50, p95 = percentile(ms, 50), percentile(ms, 95)
    print(f"  breach delay after the deadline: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {ms[-1]:.0f} ms")
    print(f"  worker peak RSS {peak[0] / 1e6:.0f} MB (bound {args.worker_memory_mb} MB)")
    return [
        Result("scale: conversations opened through the API", created, "conversations", count, ">= 1.0x"),
        Result("scale: SLA breaches recorded", len(delays), "conversations", count, ">= 1.0x"),
        Result(
            "scale: SLA breach recorded after its deadline, p95", percentile(ms, 95), "ms", None, "< 60 ms"
        ),
        Result("scale: SLA breach recorded after its deadline, max", ms[-1], "ms"),
        Result("scale: worker peak RSS", peak[0] / 1e6, "MB", None, f"< {args.worker_memory_mb} MB"),
    ]


def positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=10_000, help="conversations to open (10000)")
    parser.add_argument("--concurrency", type=int, default=8, help="API requests in flight (8)")
    parser.add_argument(
        "--per-second",
        type=positive,
        default=None,
        help="open at this mean rate (Poisson arrivals) instead of as fast as the API answers",
    )
    parser.add_argument("--sla-seconds", type=float, default=60.0, help="first-response SLA (60)")
    parser.add_argument(
        "--worker-memory-mb", type=int, default=2000, help="the worker's memory bound to check (2000)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> list[Result]:
    """`python -m bench scale [options]`: bench/__main__.py passes the options as `argv`."""
    return asyncio.run(run(parse(argv or [])))


if __name__ == "__main__":
    main()
