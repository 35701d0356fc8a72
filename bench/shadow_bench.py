"""Decision latency with and without a shadow pack, in the same run (the ratio is the figure).

The worker's real `decide` activity (activities/rule_decisions.py) runs in an activity context
(temporalio.testing.ActivityEnvironment) over a real SQLite control-plane database, for two tenants
with the same live pack (the shipped default): one without a shadow pack, one whose candidate
(the default pack with another billing keyword) the background evaluator decides again and
records. Rounds alternate between the two so the machine's noise weighs on both alike (each
round starts with the evaluator idle); the evaluator runs on the same event loop and threads as
the live decisions, as in a worker, and sequential calls leave it all the room it wants. The
figure is the median latency of one `decide` call; p99 and the comparisons recorded are printed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from temporalio.testing import ActivityEnvironment

from activities.rule_decisions import PackRegistry, RuleActivities
from bench.results import Result
from engine.contracts.decisions import DecideRequest
from engine.db.connection import open_engine, upgrade
from engine.db.packs import PackStore
from engine.db.shadow import ShadowStore
from engine.rules.pack import RulePack
from engine.service.pack_files import load_valid
from engine.service.shadow_evaluator import ShadowEvaluator

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 7
CALLS = 300
TEXTS = [
    "Hello, I was charged twice on my last invoice and would like a refund please.",
    "I cannot log in, the password reset gives me an error.",
    "Do you ship to Canada?",
    "Meine Rechnung ist falsch.",
]
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def requests(pack_hash: str) -> list[DecideRequest]:
    return [
        DecideRequest(
            pack_hash=pack_hash,
            context={
                "event": {"type": "conversation.created", "time": "2026-11-24T10:00:00+00:00", "depth": 0},
                "conversation": {"id": "c", "channel": "email", "created_at": "2026-11-24T09:00:00+00:00"},
                "message": {"text": text, "auto_submitted": False},
                "customer": {"tier": "pro"},
            },
            calendar="office",
            filled_only=True,
        )
        for text in TEXTS
    ]


async def measure() -> tuple[list[float], list[float], int, int]:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(f"sqlite:///{folder}/bench.db")
        await upgrade(engine)
        live = load_valid(ROOT / "rule_packs" / "default")
        data = live.model_dump(mode="json", by_alias=True)
        candidate = RulePack.model_validate(
            {**data, "meta": {**data["meta"], "version": f"{live.meta.version}-candidate"}}
        )
        packs = PackStore(engine)
        for tenant in ("plain", "shadowed"):
            await packs.publish(tenant, live, published_by="bench", source=None)
        shadows = ShadowStore(engine)
        await shadows.set("shadowed", candidate, published_by="bench", source=None)
        registry = PackRegistry(packs)
        evaluator = ShadowEvaluator(registry, shadows)
        rules = RuleActivities(registry, evaluator)
        env = ActivityEnvironment()
        batch = requests(live.content_hash)
        latencies: dict[str, list[float]] = {"plain": [], "shadowed": []}
        calls = 0

        async def one_round(tenant: str, keep: bool) -> None:
            nonlocal calls
            for i in range(CALLS):
                calls += 1
                env.info = dataclasses.replace(
                    env.info,
                    workflow_id=f"conversation:{tenant}:c-{calls}",
                    workflow_run_id=f"run-{calls}",
                    activity_id=str(i),
                )
                started = time.perf_counter()
                await env.run(rules.decide, batch[i % len(batch)])
                if keep:
                    latencies[tenant].append(time.perf_counter() - started)

        for tenant in ("plain", "shadowed"):
            await one_round(tenant, keep=False)  # warm: packs loaded and compiled, caches filled
        await evaluator.idle()
        for _ in range(ROUNDS):
            for tenant in ("plain", "shadowed"):
                await one_round(tenant, keep=True)
                await evaluator.idle()  # the backlog a round left is not charged to the next round
        await evaluator.idle()
        recorded = len(await shadows.comparisons("shadowed", *EVER, None))
        await evaluator.close()
        await engine.dispose()
        return latencies["plain"], latencies["shadowed"], recorded, (ROUNDS + 1) * CALLS


def p99(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.99) - 1]


def main() -> list[Result]:
    plain, shadowed, recorded, offered = asyncio.run(measure())
    median_plain, median_shadowed = statistics.median(plain), statistics.median(shadowed)
    print(
        f"decide median {median_plain * 1e6:.0f} us without a shadow pack, {median_shadowed * 1e6:.0f} us "
        f"with one; p99 {p99(plain) * 1e6:.0f} us / {p99(shadowed) * 1e6:.0f} us; "
        f"{recorded} of {offered} shadowed decisions compared and recorded"
    )
    return [
        Result(
            "shadow: decide latency with a shadow pack (median)",
            median_shadowed * 1000,
            "ms",
            baseline=median_plain * 1000,
        ),
        Result(
            "shadow: decide latency with a shadow pack (p99)",
            p99(shadowed) * 1000,
            "ms",
            baseline=p99(plain) * 1000,
        ),
    ]


if __name__ == "__main__":
    from bench.results import table

    print(table(main()))
