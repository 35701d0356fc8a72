"""`python -m bench kpis`: KPI report time over 100,000 recorded conversations, SQLite and PostgreSQL.

Synthetic conversations over 30 days (a creation with its acknowledgement and SLA, the customer's
message, an agent's reply, solved, a survey sent and, for half, answered; a third breach the first
response) are written as the workflow writes them, with `facts_of` over trail entries, into a
migrated database: the embedded SQLite file and a private PostgreSQL (pgserver).

Three reports: the last week, the whole range, and the whole range by team, channel and day. Each
is timed cold (every thread summary marked stale first, so the call measures all 100,000 threads
from their facts on the pack's London calendar and stores their summaries) and warm (best of two
calls that find the summaries current, the second reusing the threads the first decoded; "warm in a
new process" decodes them again each time). Unless `--no-check`, each report is compared with the one
computed from every fact (`kpi_report_from_facts`, today's path before summaries) and must equal it.
Last, 1% more conversations are written and the week is reported again (refreshing only those).
The baseline, in the same run, is a COUNT over the same facts.
Options: `--conversations N`, `--database sqlite|postgresql|both`, `--no-check`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.results import Result
from engine.contracts.conversation import DecisionEntry, ExecutedAction
from engine.contracts.kpi import KpiFact
from engine.db.connection import open_engine, upgrade
from engine.db.kpi_facts import KpiFactStore
from engine.db.kpi_threads import KpiThreadStore
from engine.db.packs import PackStore
from engine.kpis.facts import facts_of
from engine.kpis.query import KpiQuery
from engine.rules.pack import RulePack
from engine.service.kpi_decoded import decoded_threads
from engine.service.kpis import kpi_report, kpi_report_from_facts
from engine.service.pack_files import load_valid

ROOT = Path(__file__).resolve().parent.parent
TENANT = "bench"
START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
CHANNELS = ("email", "chat", "whatsapp", "sms")
TEAMS = ("billing", "support", "sales")


def conversation_facts(number: int, pack: str, rng: random.Random) -> list[KpiFact]:
    """One conversation's facts, through the same `facts_of` the workflow uses."""
    created = START + timedelta(seconds=rng.uniform(0, DAYS * 86400))
    view = {
        "life": f"life-{number}",
        "channel": CHANNELS[number % len(CHANNELS)],
        "team": TEAMS[number % len(TEAMS)],
        "assignee": f"agent-{number % 40}",
        "priority": "normal",
        "pack": pack,
        "calendar": "office",
        "sla": {"first_response": 480.0, "resolution": 2880.0},
    }
    reply = created + timedelta(minutes=rng.expovariate(1 / 240))
    solved = reply + timedelta(minutes=rng.expovariate(1 / 600))
    trail = [
        DecisionEntry(
            seq=1,
            event="conversation.created",
            at=created,
            executed=[
                ExecutedAction(index="0", action={"type": "reply"}),
                ExecutedAction(index="1", action={"type": "apply_sla"}),
            ],
            kpi={**view, "sender": "customer"},
        ),
        DecisionEntry(seq=2, event="message.received", at=created, kpi={**view, "sender": "customer"}),
        DecisionEntry(seq=4, event="message.sent", at=reply, kpi={**view, "agent": view["assignee"]}),
        DecisionEntry(seq=5, event="status.changed", at=solved, kpi={**view, "from": "open", "to": "solved"}),
        DecisionEntry(
            seq=6, event="survey.due", at=solved + timedelta(hours=1), note="survey sent", kpi=view
        ),
    ]
    if number % 3 == 0:
        trail.append(
            DecisionEntry(seq=3, event="sla.breached", at=reply, kpi={**view, "target": "first_response"})
        )
    if number % 2 == 0:
        rating = {"rating": rng.randint(1, 5)}
        trail.append(
            DecisionEntry(
                seq=7, event="survey.completed", at=solved + timedelta(hours=2), kpi={**view, **rating}
            )
        )
    return [f for e in trail for f in facts_of(e, tenant=TENANT, conversation_id=f"c-{number}")]


async def publish(engine: AsyncEngine) -> str:
    """The default pack, published (again: the same content is the same hash); its London calendar."""
    pack: RulePack = load_valid(ROOT / "rule_packs" / "default")
    return await PackStore(engine).publish(TENANT, pack, published_by="bench", source="bench")


async def fill(engine: AsyncEngine, conversations: int) -> int:
    await upgrade(engine)
    digest = await publish(engine)
    rng = random.Random(18)
    store = KpiFactStore(engine)
    batch: list[KpiFact] = []
    written = 0
    for number in range(conversations):
        batch += conversation_facts(number, digest, rng)
        if len(batch) >= 20_000:
            written += await store.add(batch)
            batch = []
    return written + await store.add(batch)


async def _decoding_anew(engine: AsyncEngine, query: KpiQuery) -> Any:
    """A warm report as a new process makes it: the summaries current, none decoded yet."""
    decoded_threads(engine).clear()
    return await kpi_report(engine, TENANT, query)


async def best_of(runs: int, action: Callable[[], Awaitable[Any]]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        await action()
        best = min(best, time.perf_counter() - started)
    return best


async def timed(action: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = await action()
    return time.perf_counter() - started, out


async def measure(label: str, url: str, conversations: int, check: bool) -> list[Result]:
    engine = open_engine(url)
    try:
        took, facts = await timed(lambda: fill(engine, conversations))
        print(f"{label}: {facts:,} facts of {conversations:,} conversations written in {took:.1f} s")
        end = START + timedelta(days=DAYS + 1)
        store = KpiFactStore(engine)
        summaries = KpiThreadStore(engine)
        queries = {
            "week": KpiQuery(end - timedelta(days=7), end),
            "whole range": KpiQuery(START, end),
            "whole range by team,channel,day": KpiQuery(START, end, ("team", "channel"), "day"),
        }
        baseline = await best_of(3, lambda: store.count(TENANT, before=end))
        print(f"{label}: COUNT {baseline * 1000:.1f} ms")
        out = []
        for name, query in queries.items():
            await summaries.mark(TENANT)  # every summary stale: the cold call measures every thread
            cold, rows = await timed(lambda q=query: kpi_report(engine, TENANT, q))
            fresh = await best_of(2, lambda q=query: _decoding_anew(engine, q))
            warm = await best_of(2, lambda q=query: kpi_report(engine, TENANT, q))
            line = (
                f"{label}: {name}: cold {cold:.2f} s, warm {warm:.3f} s ({warm / baseline:.1f}x COUNT), "
                f"warm in a new process {fresh:.3f} s ({fresh / baseline:.1f}x)"
            )
            if check:
                from_facts, expected = await timed(lambda q=query: kpi_report_from_facts(engine, TENANT, q))
                assert rows == expected, f"{label}: {name}: the summaries' report differs from the facts'"
                line += f"; from every fact {from_facts:.1f} s, identical"
            print(line, flush=True)
            out += [
                Result(f"kpi {name}, {conversations:,} conversations, {label}, cold", cold, "s", baseline),
                Result(f"kpi {name}, {label}, warm", warm, "s", baseline),
                Result(f"kpi {name}, {label}, warm, summaries decoded anew", fresh, "s", baseline),
            ]
        # a minute of a busy desk: 1% more conversations written, then the dashboard's week again
        digest, rng = await publish(engine), random.Random(19)
        more = range(conversations, conversations + conversations // 100)
        await store.add([f for n in more for f in conversation_facts(n, digest, rng)])
        fresh = await best_of(1, lambda: kpi_report(engine, TENANT, queries["week"]))
        print(f"{label}: week after {conversations // 100:,} new conversations: {fresh:.3f} s")
        out.append(Result(f"kpi week after 1% new conversations, {label}", fresh, "s", baseline))
        return out
    finally:
        await engine.dispose()


async def run(conversations: int, databases: str, check: bool) -> list[Result]:
    out: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="kpi-bench-") as tmp:
        if databases in ("sqlite", "both"):
            out += await measure("SQLite", f"sqlite:///{tmp}/convoflow.sqlite", conversations, check)
        if databases in ("postgresql", "both"):
            import pgserver  # a development dependency, like the PostgreSQL tests

            server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
            try:
                server.psql("CREATE DATABASE kpi_bench;")
                out += await measure("PostgreSQL", server.get_uri("kpi_bench"), conversations, check)
            finally:
                server.cleanup()
    return out


def main(options: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="python -m bench kpis")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--no-check", action="store_true", help="skip comparing each report with one from every fact"
    )
    args = parser.parse_args(options or [])
    return asyncio.run(run(args.conversations, args.database, not args.no_check))
