"""Chaos benchmark: conversations through close, reopen and new threads while the service is broken
under them, then a count of what was lost or sent twice (issue 12, "Done when").

    python -m bench chaos                       # 1,000 conversations
    python -m bench chaos --conversations 50    # a quick run

Real processes (bench/chaos_stack.py): a Temporal dev server on a SQLite file, two workers, one API,
and a webhook gateway in this process that records every outbound send. Clients retry every request
with the same identity (bench/chaos_client.py). While they run, at fixed fractions of the requests
done, a worker is SIGKILLed and restarted (four times), the Temporal server is stopped and started
on the same database, and the API is SIGKILLed and restarted. Once the system is quiet the checks in
bench/chaos_verify.py count lost inbound messages and lost or duplicated outbound sends. Exit status
1 when any is not zero (or a request was given up), so the benchmark can gate a change.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from bench.chaos_client import Outcome, Progress, RetryingClient, drive, script
from bench.chaos_gateway import Received, RecordingGateway
from bench.chaos_stack import API_KEY, GATEWAY_SECRET, PAYLOAD_KEYS, TENANT, Stack
from bench.chaos_verify import (
    Figures,
    add_transport,
    bounded,
    check_conversation,
    held_inbound,
    wait_quiescent,
)
from engine.service.config import Settings
from engine.service.temporal_client import connect
from engine.service.temporal_server import free_port

# (fraction of all requests answered, what happens). Triggered by progress, not by the clock, so a
# slow machine still gets every event while conversations are in flight.
CHAOS_PLAN: list[tuple[float, str]] = [
    (0.10, "SIGKILL worker-1"),
    (0.25, "restart Temporal server"),
    (0.40, "SIGKILL worker-2"),
    (0.55, "SIGKILL + restart API"),
    (0.70, "SIGKILL worker-1"),
    (0.85, "SIGKILL worker-2"),
]


@dataclass(frozen=True, kw_only=True)
class ChaosEvent:
    what: str
    at_fraction: float
    seconds: float
    """How long the part took to come back."""


def actions(stack: Stack) -> dict[str, Callable[[], Awaitable[None]]]:
    return {
        "SIGKILL worker-1": lambda: stack.kill_worker(0),
        "SIGKILL worker-2": lambda: stack.kill_worker(1),
        "restart Temporal server": stack.restart_temporal,
        "SIGKILL + restart API": stack.restart_api,
    }


async def chaos(
    stack: Stack, plan: list[tuple[float, str]], progress: Progress, events: list[ChaosEvent]
) -> None:
    run = actions(stack)
    for fraction, what in plan:
        if not await progress.reached(fraction):
            return
        at, started = progress.done / progress.total, time.monotonic()
        await run[what]()
        events.append(ChaosEvent(what=what, at_fraction=at, seconds=time.monotonic() - started))


async def run(args: argparse.Namespace, data_dir: Path) -> Figures:
    gateway = RecordingGateway(secret=GATEWAY_SECRET, fail_rate=args.gateway_fail_rate)
    runner = web.AppRunner(gateway.app(), access_log=None)
    await runner.setup()
    gateway_port = free_port()
    await web.TCPSite(runner, "127.0.0.1", gateway_port).start()
    stack = Stack.build(
        data_dir,
        workers=args.workers,
        gateway_url=f"http://127.0.0.1:{gateway_port}/send",
        database=args.database,
    )
    wall = time.monotonic()
    try:
        await stack.start()
        print(f"stack up in {time.monotonic() - wall:.1f}s ({args.database}; data in {data_dir})", flush=True)
        connector = aiohttp.TCPConnector(limit=args.concurrency * 2)
        async with aiohttp.ClientSession(connector=connector) as session:
            client = RetryingClient(session, stack.api_url, API_KEY)
            ids = [f"c{n:05d}" for n in range(args.conversations)]
            scripts = [script(c, n) for n, c in enumerate(ids)]
            progress = Progress(sum(len(s) for s in scripts))
            events: list[ChaosEvent] = []
            started = time.monotonic()
            plan = CHAOS_PLAN if args.chaos else []
            chaos_task = asyncio.create_task(chaos(stack, plan, progress, events))
            reporter = asyncio.create_task(report_progress(progress, started))
            outcomes: list[list[Outcome]] = await bounded(
                scripts, lambda s: drive(client, s, progress), args.concurrency
            )
            driving = time.monotonic() - started
            reporter.cancel()
            progress.finish()
            await chaos_task  # an event under way completes: every part is up for the verification
            temporal = await connect(
                Settings(temporal_address=stack.temporal.address, payload_keys=SecretStr(PAYLOAD_KEYS))
            )
            waited = await wait_quiescent(temporal, TENANT, ids, gateway.received)
            figures = await verify(client, outcomes, gateway.received)
        print_report(figures, plan, events, gateway, driving, waited, time.monotonic() - wall)
        return figures
    finally:
        await stack.stop()
        await runner.cleanup()


async def report_progress(progress: Progress, started: float) -> None:
    while True:
        await asyncio.sleep(10)
        rate = progress.done / (time.monotonic() - started)
        print(f"  {progress.done}/{progress.total} requests answered ({rate:.0f}/s)", flush=True)


async def verify(api: RetryingClient, outcomes: list[list[Outcome]], received: list[Received]) -> Figures:
    by_conversation: dict[str, list[Received]] = {}
    for r in received:
        by_conversation.setdefault(r.conversation, []).append(r)
    helds = await bounded(outcomes, lambda o: held_inbound(api, o[0].step.conversation), limit=50)
    figures = Figures()
    for conversation_outcomes, held in zip(outcomes, helds, strict=True):
        sends = by_conversation.get(conversation_outcomes[0].step.conversation, [])
        check_conversation(figures, conversation_outcomes, held, sends)
    add_transport(figures, received)
    return figures


def print_report(
    f: Figures,
    plan: list[tuple[float, str]],
    events: list[ChaosEvent],
    gateway: RecordingGateway,
    driving: float,
    waited: float,
    wall: float,
) -> None:
    rows = [
        ("conversations / closed at the end", f"{f.conversations} / {f.closed_at_end}"),
        ("threads (expected / held by the service)", f"{f.threads_expected} / {f.threads_seen}"),
        (
            "inbound accepted / counted / LOST",
            f"{f.inbound_accepted} / {f.inbound_counted} / {f.inbound_lost}",
        ),
        ("inbound rejected (4xx)", f"{f.inbound_rejected}"),
        (
            "agent replies accepted / LOST / DUPLICATED",
            f"{f.replies_accepted} / {f.replies_lost} / {f.replies_duplicated}",
        ),
        (
            "agent replies rejected (4xx) / of those sent anyway",
            f"{f.replies_rejected} / {f.replies_sent_unaccepted}",
        ),
        (
            "acks expected / received / LOST / DUPLICATED",
            f"{f.acks_expected} / {f.acks_received} / {f.acks_lost} / {f.acks_duplicated}",
        ),
        ("acks outside an accepted thread", f"{f.acks_unexpected}"),
        ("other outbound (surveys, reminders)", f"{f.other_sends}"),
        (
            "gateway requests / transport retries (same key again)",
            f"{f.gateway_requests} / {f.transport_retries}",
        ),
        ("gateway 503s injected / bad signatures", f"{gateway.failed_on_purpose} / {f.unsigned}"),
        ("status changes rejected (4xx)", f"{f.status_changes_rejected}"),
        ("client retries / requests given up", f"{f.client_retries} / {f.requests_given_up}"),
        ("chaos events applied", f"{len(events)} of {len(plan)}"),
        ("wall time: driving / settling / total", f"{driving:.0f}s / {waited:.0f}s / {wall:.0f}s"),
    ]
    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    print("\nchaos events:")
    for e in events:
        print(f"  at {e.at_fraction:5.1%} of requests: {e.what} (back in {e.seconds:.1f}s)")
    if f.retry_reasons:
        reasons = ", ".join(f"{reason}: {n}" for reason, n in f.retry_reasons.most_common())
        print(f"\nwhy clients retried: {reasons}")
    print("\nanswers per request kind (HTTP status: count; None = given up):")
    for label, counts in sorted(f.statuses.items()):
        shown = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: str(kv[0])))
        print(f"  {label:<18} {shown}")
    if f.examples:
        print("\nexamples:")
        for line in f.examples:
            print(f"  {line}")
    print(
        "\nRESULT:",
        "FAIL (loss, duplicate or given-up request)" if f.failed else "PASS: nothing lost, nothing doubled",
    )


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=1000, help="conversations to drive (1000)")
    parser.add_argument("--concurrency", type=int, default=50, help="conversations in flight (50)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument(
        "--gateway-fail-rate",
        type=float,
        default=0.02,
        help="share of gateway requests recorded and then answered 503, forcing a resend (0.02)",
    )
    parser.add_argument(
        "--no-chaos", dest="chaos", action="store_false", help="the same run with nothing broken (baseline)"
    )
    parser.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="control-plane database: the embedded SQLite file, or a private PostgreSQL (pgserver)",
    )
    parser.add_argument("--keep-data", action="store_true", help="keep the data directory and logs")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """`python -m bench chaos [options]`: bench/__main__.py passes the options as `argv`."""
    args = parse(argv or [])
    data_dir = Path(tempfile.mkdtemp(prefix="convoflow-chaos-"))
    try:
        figures = asyncio.run(run(args, data_dir))
    finally:
        if args.keep_data:
            print(f"data and logs kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    if figures.failed:
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
