"""Assignment (issue 16): is the work spread fairly, never over capacity, never left waiting while an
agent is free? Measured on the real stack (bench/stack.py: dev server, convoflow worker and API each
in a process of their own) with the pack bench/assignment_pack, through the API only.

1. spread: 18 conversations opened one after another for a team of 3 agents (capacity 8 each)
   that log in one after another: the first at the start, the second after 6 conversations, the
   third after 12. Figure: final assignments per agent, max - min (goal <= 1) with least_loaded;
   the same with round_robin is a comparison row.
2. floor (bench/assignment_floor.py): `--conversations` (1,000) over 10 agents of capacities
   2..10 at `--rate` (3/s: about 6 min on a 2-core machine; see docs/performance.md for 6/s)
   while agents go away and come back and close their conversations.
   Figures: Jain's index of load/capacity (mean over the 0.5 s samples, and at the end of the
   arrivals; goal >= 0.95), assignments over capacity (goal 0), conversations waiting over 1 s
   while an eligible agent was free (goal 0), routing-to-assignment p50/p99.

    python -m bench assignment
    python -m bench assignment --conversations 300 --rate 4 --seed 7

The figures are counts and ratios; the times are printed for the record, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from pathlib import Path

import aiohttp
from temporalio.client import Client

from bench import stack
from bench.assignment_api import AgentApi
from bench.assignment_floor import HOLD_SECONDS, FloorRun, Trails
from bench.desk_runs import read_desk_runs
from bench.fairness import spread
from bench.results import Result
from bench.stats import percentile
from engine.contracts.assignment import desk_workflow_id

PACK = Path(__file__).resolve().parent / "assignment_pack"
SPREAD_CONVERSATIONS = 18
SPREAD_CAPACITY = 8
LOGINS = {0: "a", 6: "b", 12: "c"}  # conversations opened before each agent logs in


async def spread_run(api: AgentApi, team: str) -> dict[str, int]:
    """Open 18 conversations one by one while 3 agents log in; their final assignment counts."""
    agents = [f"{team}-{letter}" for letter in LOGINS.values()]
    for agent in agents:
        await api.add_agent(agent, team=team, capacity=SPREAD_CAPACITY, skills=[], presence="offline")
    for n in range(SPREAD_CONVERSATIONS):
        if n in LOGINS:
            await api.presence(f"{team}-{LOGINS[n]}", "online")
        await api.open(f"{team}-{n}", f"{team}: where is my parcel?")
    # A message is answered when recorded (issue 15), before its conversation asks the desk: wait
    # until the desk holds all 18 (or stops changing for the deadline), not just for an empty queue.
    deadline = time.monotonic() + 30
    while True:
        roster = await api.agents()
        if roster is None:
            raise RuntimeError("the assignment desk did not answer GET /v1/agents")
        counts = {a["id"]: len(a["assigned"]) for a in roster if a["id"] in agents}
        if sum(counts.values()) >= SPREAD_CONVERSATIONS or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    assigned = sum(counts.values())
    if assigned != SPREAD_CONVERSATIONS:
        print(f"{team}: only {assigned} of {SPREAD_CONVERSATIONS} assigned")
    return counts


async def run(count: int, rate: float, seed: int, hold: tuple[float, float] = HOLD_SECONDS) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        async with stack.dev_server() as server:
            # Heartbeats are not what this measures: agents stay online until the bench says otherwise.
            settings = stack.bench_settings(server, Path(tmp), rule_pack=PACK, presence_timeout_seconds=3600)
            await stack.prepare(settings)
            with (
                stack.child(stack.convoflow_worker, settings),
                stack.child(stack.api, settings) as api_process,
            ):
                base = f"http://127.0.0.1:{settings.api_port}"
                await stack.wait_healthy(base, api_process)
                connector = aiohttp.TCPConnector(limit=32)
                async with aiohttp.ClientSession(connector=connector) as session:
                    api = AgentApi(session, base)
                    counts = {team: await spread_run(api, team) for team in ("spread-ll", "spread-rr")}
                    floor = FloorRun(api, count, rate, random.Random(seed), hold)
                    await floor.setup()
                    load_before = os.getloadavg()
                    started = time.monotonic()
                    await floor.run()
                    run_seconds = time.monotonic() - started
                    load_after = os.getloadavg()
                    trails = await floor.read_trails()
                    desk = await read_desk_runs(
                        await Client.connect(server.address), desk_workflow_id(stack.TENANT)
                    )
    for team, got in counts.items():
        print(f"{team}: assignments {dict(sorted(got.items()))}, spread {spread(got)}")
    _print_floor(floor, trails, run_seconds, load_before, load_after)
    print(f"floor: {desk.describe()}")
    failed = float(sum(desk.failed_tasks.values()))
    return [
        *_rows(counts, floor, trails),
        Result("assignment: the desk's workflow tasks refused or timed out", failed, ""),
    ]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _print_floor(
    floor: FloorRun,
    trails: Trails,
    seconds: float,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    w = floor.watch
    print(
        f"floor: {len(floor.opened)} of {floor.count} conversations opened in {floor.open_seconds:.0f} s "
        f"(asked {floor.rate}/s), "
        f"{len(floor.closed)} closed; {seconds:.0f} s from the first to the last close"
    )
    print(
        f"floor: {floor.presence_changes} presence changes; {trails.unassigned} unassignments "
        f"(agent away past the grace); load average before {load_before[0]:.2f}, after {load_after[0]:.2f}"
    )
    if w.in_use:
        print(
            f"floor: capacity in use while opening: mean {_mean(w.in_use):.0%} of the online agents' "
            f"(highest sample {max(w.in_use):.0%}); hold {floor.hold[0]:g}-{floor.hold[1]:g} s"
        )
    if w.busy:
        print(
            f"floor: Jain's index over {len(w.busy)} busy samples: mean {_mean(w.busy):.3f} "
            f"(even handout {_mean(w.busy_even):.3f}), lowest {min(w.busy):.3f}; "
            f"over all {len(w.fairness)} loaded samples mean {_mean(w.fairness):.3f}, "
            f"lowest {min(w.fairness):.3f}; "
            f"end of arrivals {w.fairness_end}; {w.skipped} samples without loads"
        )
    print(
        f"floor: over capacity: {w.over_capacity} agent observations in {w.samples} samples, "
        f"{trails.records_over_capacity} of {trails.records} decision records "
        f"({trails.records_in_brief} more repeated in brief to retried requests)"
    )
    print(
        f"floor: waited > 1 s with an eligible agent free: {len(w.late)} {sorted(w.late)[:5]} "
        f"(on the first roster read alone: {len(w.suspects)} {sorted(w.suspects)[:5]})"
    )
    if trails.assign_ms:
        print(
            f"floor: routing to assignment: p50 {percentile(trails.assign_ms, 50):.0f} ms, "
            f"p99 {percentile(trails.assign_ms, 99):.0f} ms, max {max(trails.assign_ms):.0f} ms; "
            f"trails without conversation.assigned: {len(trails.never_assigned)}; not read: {trails.unread}"
        )


def _rows(counts: dict[str, dict[str, int]], floor: FloorRun, trails: Trails) -> list[Result]:
    w, count, opened, failed = floor.watch, floor.count, len(floor.opened), len(floor.errors)
    of_18 = "assignment: spread of 18 over 3 agents logging in one by one"
    rows = [
        Result(f"{of_18}, least_loaded", spread(counts["spread-ll"]), "conversations", goal="<= 1"),
        Result(f"{of_18}, round_robin", spread(counts["spread-rr"]), "conversations"),
    ]
    if w.in_use:
        rows.append(
            Result(
                f"assignment: capacity in use while opening (hold {floor.hold[0]:g}-{floor.hold[1]:g} s)",
                100 * _mean(w.in_use),
                "%",
            )
        )
    if w.busy:
        rows.append(
            Result(
                f"assignment: Jain's index of load/capacity, {count} over 10 agents, mean of busy samples "
                "(baseline: the same loads handed out evenly)",
                _mean(w.busy),
                "",
                _mean(w.busy_even),
                ">= 0.95",
            )
        )
        rows.append(Result("assignment: Jain's index, lowest busy sample", min(w.busy), "", min(w.busy_even)))
    if w.fairness_end is not None:
        rows.append(
            Result("assignment: Jain's index at the end of arrivals", w.fairness_end, "", goal=">= 0.95")
        )
    over = w.over_capacity + trails.records_over_capacity
    rows += [
        Result(f"assignment: conversations opened of {count}", float(opened), "", float(count), ">= 1x"),
        Result("assignment: API calls failed (the run stops at the first)", float(failed), "", goal="<= 0"),
        Result("assignment: over capacity (agents in samples + decision records)", over, "", goal="<= 0"),
        Result(
            "assignment: conversations waiting > 1 s with an eligible agent free",
            len(w.late),
            "",
            goal="<= 0",
        ),
        Result(
            "assignment: conversations whose trail has no conversation.assigned",
            len(trails.never_assigned),
            "",
            goal="<= 0",
        ),
    ]
    if trails.assign_ms:
        for q in (50, 99):
            rows.append(
                Result(f"assignment: routing to assignment p{q}", percentile(trails.assign_ms, q), "ms")
            )
    return rows


def main(options: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="python -m bench assignment")
    parser.add_argument("--conversations", type=int, default=1000, help="floor: conversations (1,000)")
    parser.add_argument("--rate", type=float, default=3.0, help="floor: conversations opened per second (3)")
    parser.add_argument(
        "--seed", type=int, default=16, help="floor: the presence plan's and hold times' seed"
    )
    parser.add_argument(
        "--hold",
        type=_seconds_range,
        default=HOLD_SECONDS,
        help="floor: seconds an agent keeps a conversation before closing it, MIN,MAX (10,20: about "
        "3/4 of the online capacity in use at 3/s; 3,9: about a third)",
    )
    args = parser.parse_args(options or [])
    return asyncio.run(run(args.conversations, args.rate, args.seed, args.hold))


def _seconds_range(text: str) -> tuple[float, float]:
    low, _, high = text.partition(",")
    try:
        pair = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give MIN,MAX seconds, e.g. 10,20") from None
    if not 0 < pair[0] <= pair[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: need 0 < MIN <= MAX")
    return pair


if __name__ == "__main__":
    main()
