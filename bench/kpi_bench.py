"""`python -m bench kpis`: KPI report time over 100,000 recorded conversations, SQLite and PostgreSQL.

Synthetic conversations (a creation with its acknowledgement and SLA, the customer's message, an
agent's reply, solved, a survey sent and, for half, answered; a third breach the first response)
are written as the workflow writes them, with `facts_of` over trail entries, into a migrated
database: the embedded SQLite file and a private PostgreSQL (pgserver). A figure is the best of two
runs of `kpi_report` (one when grouped by day): read the facts, measure every thread in calendar
and business time on the pack's London calendar, aggregate with drill-down ids. The baseline, in
the same run, is a COUNT over the same rows. Options: `--conversations N`.
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
from engine.db.packs import PackStore
from engine.kpis.facts import facts_of
from engine.kpis.query import KpiQuery
from engine.rules.pack import RulePack
from engine.service.kpis import kpi_report
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


async def fill(engine: AsyncEngine, conversations: int) -> int:
    await upgrade(engine)
    pack: RulePack = load_valid(ROOT / "rule_packs" / "default")
    digest = await PackStore(engine).publish(TENANT, pack, published_by="bench", source="bench")
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


async def best_of(runs: int, action: Callable[[], Awaitable[Any]]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        await action()
        best = min(best, time.perf_counter() - started)
    return best


async def measure(label: str, url: str, conversations: int) -> list[Result]:
    engine = open_engine(url)
    try:
        started = time.perf_counter()
        facts = await fill(engine, conversations)
        took = time.perf_counter() - started
        print(f"{label}: {facts:,} facts of {conversations:,} conversations written in {took:.1f} s")
        end = START + timedelta(days=DAYS + 1)
        store = KpiFactStore(engine)
        whole = KpiQuery(START, end)
        grouped = KpiQuery(START, end, ("team", "channel"), "day")
        baseline = await best_of(3, lambda: store.count(TENANT, before=end))
        rows = await kpi_report(engine, TENANT, whole)
        assert rows[0]["metrics"]["volume"]["value"] == conversations
        plain = await best_of(2, lambda: kpi_report(engine, TENANT, whole))
        by_day = await best_of(1, lambda: kpi_report(engine, TENANT, grouped))
        print(
            f"{label}: COUNT {baseline * 1000:.1f} ms; report {plain:.2f} s; "
            f"by team,channel,day {by_day:.2f} s"
        )
        return [
            Result(f"kpi report, {conversations:,} conversations, {label}", plain, "s", baseline),
            Result(f"kpi report by team,channel,day, {label}", by_day, "s", baseline),
        ]
    finally:
        await engine.dispose()


async def run(conversations: int) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="kpi-bench-") as tmp:
        out = await measure("SQLite", f"sqlite:///{tmp}/convoflow.sqlite", conversations)
        import pgserver  # a development dependency, like the PostgreSQL tests

        server = pgserver.get_server(Path(tmp) / "pg", cleanup_mode="stop")
        try:
            server.psql("CREATE DATABASE kpi_bench;")
            out += await measure("PostgreSQL", server.get_uri("kpi_bench"), conversations)
        finally:
            server.cleanup()
    return out


def main(options: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="python -m bench kpis")
    parser.add_argument("--conversations", type=int, default=100_000)
    args = parser.parse_args(options or [])
    return asyncio.run(run(args.conversations))
