"""The assignment bench's floor replayed on the pure desk book (no server, no clock): what the choice
rule alone does to Jain's index of load/capacity, apart from the stack's latency and the machine.

Same shape as bench/assignment_floor.py: 10 agents of capacities 2..10 and 6 (half speak German,
one conversation in ten needs it), arrivals at `--rate`, each conversation closed a random `--hold`
after the first sample that shows it, an online agent away for 2-9 s every 3 s (6 s grace), a sample
every 0.5 s judged with bench/fairness.py. Time moves in 0.1 s steps and every message is applied at
once, so it shows the best the desk's decisions can do, not what the real stack measures.

    python -m bench.assignment_sim --hold 3,9
    python -m bench.assignment_sim --hold 10,20 --seeds 16 7

It prints, for the desk as it decides now (equal scores to the agent least loaded once assigned)
and as it decided before (equal scores by rotation only): the mean Jain's index over busy samples,
the even-handout yardstick of the same samples, and the share of the online capacity in use.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench.assignment_floor import AWAY_EVERY, AWAY_SECONDS, CAPACITIES, HOLD_SECONDS, SAMPLE_EVERY
from bench.fairness import Agent, busy, even_fairness, load_fairness
from engine.assignment.desk_book import DeskBook
from engine.assignment.desk_views import loads_view
from engine.contracts.assignment import AgentRecord, AssignmentRequest, DeskState, Roster, TeamPolicy

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
STEP = 0.1
GRACE_MINUTES = 0.1  # bench/assignment_pack: the floor team's away_grace_minutes


@dataclass
class SimRun:
    """One run: the floor's events applied to a DeskBook in time order."""

    ties_by_after: bool
    hold: tuple[float, float]
    seed: int
    count: int = 1000
    rate: float = 3.0
    busy: list[float] = field(default_factory=list)
    even: list[float] = field(default_factory=list)
    in_use: list[float] = field(default_factory=list)

    def run(self) -> SimRun:
        rng = random.Random(self.seed)
        desk = DeskBook(DeskState(tenant="sim"), ties_by_after=self.ties_by_after)
        agents = [
            AgentRecord(
                agent_id=f"floor-agent-{i:02d}",
                name=f"agent {i}",
                teams=["floor"],
                skills=["lang:en", "lang:de"] if i % 2 == 0 else ["lang:en"],
                capacity={"*": capacity},
                presence="online",
            )
            for i, capacity in enumerate(CAPACITIES)
        ]
        desk.apply_roster(Roster(agents=agents, read_at=T0), T0)
        policy = TeamPolicy(strategy="least_loaded", away_grace_minutes=GRACE_MINUTES)
        close_at: dict[str, float] = {}
        seen: set[str] = set()
        back_at: dict[str, float] = {}
        opened, next_away, step = 0, AWAY_EVERY, 0
        per_sample = round(SAMPLE_EVERY / STEP)
        while opened < self.count or desk.state.seats or desk.state.queue:
            t = step * STEP
            now = T0 + timedelta(seconds=t)
            while opened < self.count and opened / self.rate <= t:
                skills = ["lang:de"] if opened % 10 == 3 else []
                desk.request(self._ask(opened, now, skills, policy), now)
                opened += 1
            if opened < self.count and t >= next_away:
                next_away += AWAY_EVERY
                online = sorted(a.agent_id for a in desk.agents.values() if a.presence == "online")
                if len(online) > len(CAPACITIES) // 2:
                    agent = rng.choice(online)
                    back_at[agent] = t + rng.uniform(*AWAY_SECONDS)
                    self._presence(desk, agent, "away", now)
            for agent, due in list(back_at.items()):
                if due <= t:
                    del back_at[agent]
                    self._presence(desk, agent, "online", now)
            if (instant := desk.next_instant()) is not None and instant <= now:
                desk.fire(now)
            for conversation, due in list(close_at.items()):
                if due <= t:
                    del close_at[conversation]
                    desk.release(conversation, now)
            desk.notices.clear()
            if step % per_sample == 0:
                for conversation in self._sample(desk, opening=opened < self.count):
                    if conversation not in seen:
                        seen.add(conversation)
                        close_at[conversation] = t + rng.uniform(*self.hold)
            step += 1
        return self

    @staticmethod
    def _ask(n: int, now: datetime, skills: list[str], policy: TeamPolicy) -> AssignmentRequest:
        return AssignmentRequest(
            request_id=f"r-{n}",
            conversation_id=f"conversation:sim:floor-{n}",
            team="floor",
            channel="email",
            requested_at=now,
            strategy="least_loaded",
            skills=skills,
            policy=policy,
        )

    @staticmethod
    def _presence(desk: DeskBook, agent: str, presence: str, now: datetime) -> None:
        record = desk.agents[agent].model_copy(update={"presence": presence, "presence_changed_at": now})
        desk.apply_agent(record, now)

    def _sample(self, desk: DeskBook, *, opening: bool) -> list[str]:
        """Judge the loads as the bench's sample does; returns every assigned conversation."""
        loads = {load.agent: load for load in loads_view(desk)}
        view = [
            Agent(
                id=a.agent_id,
                presence=a.presence,
                load=loads[a.agent_id].load,
                capacity=a.capacity["*"],
                teams=frozenset(a.teams),
                skills=frozenset(a.skills),
                assigned=tuple(loads[a.agent_id].assigned),
            )
            for a in desk.agents.values()
        ]
        online = [a for a in view if a.presence == "online"]
        if opening and online:
            self.in_use.append(sum(a.load for a in online) / sum(a.capacity for a in online))
        fairness = load_fairness(view)
        if fairness is not None and busy(view) and (even := even_fairness(view)) is not None:
            self.busy.append(fairness)
            self.even.append(even)
        return [c for a in view for c in a.assigned]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.assignment_sim")
    parser.add_argument("--hold", default=",".join(f"{s:g}" for s in HOLD_SECONDS), help="MIN,MAX s")
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=3.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[16])
    args = parser.parse_args()
    low, _, high = args.hold.partition(",")
    hold = (float(low), float(high or low))
    for ties_by_after, label in ((True, "equal scores: least loaded once assigned"), (False, "rotation")):
        runs = [SimRun(ties_by_after, hold, seed, args.conversations, args.rate).run() for seed in args.seeds]
        for r in runs:
            print(
                f"hold {hold[0]:g}-{hold[1]:g} s, seed {r.seed}, {label}: Jain's index over "
                f"{len(r.busy)} busy samples {_mean(r.busy):.3f} (even handout {_mean(r.even):.3f}), "
                f"capacity in use while opening {_mean(r.in_use):.0%}"
            )


if __name__ == "__main__":
    main()
