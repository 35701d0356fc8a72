"""The fairness run of the assignment benchmark: many conversations over 10 agents of mixed capacity
while agents go away and come back and close their conversations, watched as a team lead would.

Four things run at once against the API (bench/assignment_api.py):
- customers open conversations at a steady rate (one in ten in German: it needs `lang:de`);
- agents close each conversation a random 10-20 s (`--hold`) after a sample first shows it assigned:
  at 3/s about 45 of the 60 slots are taken, 3/4 of the online capacity, as on a busy helpdesk
  floor (3-9 s, the first default, used about a third: too few conversations per agent for whole
  conversations to spread evenly, so Jain's index measured granularity more than the desk);
- every few seconds an online agent goes away for 2-9 s (past the team's 6 s grace its
  conversations go back to the queue) and comes back online, always through the API;
- every 0.5 s a sample reads GET /v1/agents, GET /v1/teams/floor/queue, GET /v1/agents again and
  judges it with bench/fairness.py: Jain's index of load/capacity over the online agents, agents
  over capacity, and queued conversations older than 1 s while an eligible agent was free.

Afterwards every conversation's decision trail gives routing-to-assignment time (the `at` of its
first conversation.assigned minus its conversation.created) and its assignment record, whose chosen
agent must have had a free slot. A seeded random makes the presence plan and hold times repeatable.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.assignment_api import AgentApi, ApiFailed, external_id
from bench.fairness import (
    Agent,
    busy,
    chosen_within_capacity,
    even_fairness,
    load_fairness,
    online,
    over_capacity,
    waited_with_a_free_slot,
)

TEAM = "floor"
CAPACITIES = (2, 3, 4, 5, 6, 7, 8, 9, 10, 6)
SAMPLE_EVERY = 0.5
HOLD_SECONDS = (10.0, 20.0)
LOW_LOAD_HOLD_SECONDS = (3.0, 9.0)
"""The first default: about a third of the capacity in use (`--hold 3,9`)."""
AWAY_SECONDS = (2.0, 9.0)
AWAY_EVERY = 3.0
IN_FLIGHT = 16
DRAIN_SECONDS = 120.0
TRAIL_SECONDS = 5.0


def agent_ids() -> list[str]:
    return [f"floor-agent-{i:02d}" for i in range(len(CAPACITIES))]


@dataclass
class Watch:
    """What the samples saw."""

    fairness: list[float] = field(default_factory=list)  # every sample with some load
    busy: list[float] = field(default_factory=list)  # samples with a conversation per online agent
    busy_even: list[float] = field(default_factory=list)  # the same loads handed out evenly
    fairness_end: float | None = None
    in_use: list[float] = field(default_factory=list)  # load / capacity of the online agents, while opening
    samples: int = 0
    skipped: int = 0  # the desk did not answer the loads query
    over_capacity: int = 0  # agent observations with load > capacity
    late: set[str] = field(default_factory=set)
    suspects: set[str] = field(default_factory=set)  # judged on the first roster read alone
    agents_at_sample: int = 0


@dataclass
class Trails:
    """What the decision trails say."""

    assign_ms: list[float] = field(default_factory=list)
    immediate: int = 0
    records: int = 0
    records_over_capacity: int = 0
    records_in_brief: int = 0  # a retried request's answer again, without candidates to judge
    unassigned: int = 0
    never_assigned: list[str] = field(default_factory=list)
    unread: int = 0  # trails the API did not give


@dataclass
class FloorRun:
    api: AgentApi
    count: int
    rate: float
    rng: random.Random
    hold: tuple[float, float] = HOLD_SECONDS
    watch: Watch = field(default_factory=Watch)
    close_at: dict[str, float] = field(default_factory=dict)  # conversation -> monotonic due time
    closed: set[str] = field(default_factory=set)
    presence_changes: int = 0
    opening_done: bool = False
    open_seconds: float = 0.0
    opened: set[int] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)  # API calls that failed: the run stops at the first
    broken: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def _guard(self, work: Awaitable[None]) -> None:
        """Run one API call; a failure (a 503: the desk or the worker stopped answering) ends the run
        with what was measured so far rather than a traceback."""
        try:
            await work
        except ApiFailed as exc:
            self.errors.append(str(exc))
            self.broken.set()

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(self._guard(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def setup(self) -> None:
        for i, (agent, capacity) in enumerate(zip(agent_ids(), CAPACITIES, strict=True)):
            skills = ["lang:en", "lang:de"] if i % 2 == 0 else ["lang:en"]
            await self.api.add_agent(agent, team=TEAM, capacity=capacity, skills=skills, presence="online")

    async def run(self) -> None:
        """Open `count` conversations and watch until every one was assigned and closed."""
        stop = asyncio.Event()
        watchers = [
            asyncio.create_task(self._every(SAMPLE_EVERY, stop, self._sample)),
            asyncio.create_task(self._every(0.1, stop, self._close_due)),
            asyncio.create_task(self._presence_plan(stop)),
        ]
        try:
            started = time.monotonic()
            await self._open_all()
            self.open_seconds = time.monotonic() - started
            self.opening_done = True
            deadline = time.monotonic() + DRAIN_SECONDS
            while len(self.closed) < len(self.opened) and time.monotonic() < deadline:
                if self.broken.is_set():
                    break
                await asyncio.sleep(0.2)  # the other tasks close the conversations
        finally:
            stop.set()
            await asyncio.gather(*watchers)
            if self._tasks:
                await asyncio.gather(*self._tasks)
        if self.errors:
            print(f"floor: stopped after {len(self.errors)} failed API calls; first: {self.errors[0]}")
        elif len(self.closed) < self.count:
            print(f"floor: only {len(self.closed)} of {self.count} closed within {DRAIN_SECONDS:.0f} s")

    async def _open_all(self) -> None:
        semaphore = asyncio.Semaphore(IN_FLIGHT)
        start = time.monotonic()

        async def one(i: int) -> None:
            async with semaphore:
                language = "de" if i % 10 == 3 else "en"
                await self.api.open(f"floor-{i}", "floor: my order has not arrived", language)
                self.opened.add(i)

        pending = []
        for i in range(self.count):
            await asyncio.sleep(max(0.0, start + i / self.rate - time.monotonic()))
            if self.broken.is_set():
                break
            pending.append(asyncio.create_task(self._guard(one(i))))
        await asyncio.gather(*pending)

    async def _every(self, seconds: float, stop: asyncio.Event, step: Callable[[], Awaitable[None]]) -> None:
        while not stop.is_set() and not self.broken.is_set():
            try:
                await self._guard(step())
            except Exception:
                self.broken.set()  # the bench's own bug: stop now rather than run blind for minutes
                raise
            try:
                await asyncio.wait_for(stop.wait(), seconds)
            except TimeoutError:
                pass

    async def _sample(self) -> None:
        sampled_at = datetime.now(UTC)
        first = await self.api.agents()
        entries = await self.api.queue(TEAM)
        second = await self.api.agents()
        if first is None or second is None:
            self.watch.skipped += 1
            return
        before = {a["id"]: Agent.of(a) for a in first if TEAM in a["teams"]}
        after = {a["id"]: Agent.of(a) for a in second if TEAM in a["teams"]}
        self.watch.samples += 1
        for snapshot in (before, after):
            self.watch.over_capacity += len(over_capacity(snapshot.values()))
        self.watch.late |= set(waited_with_a_free_slot(TEAM, entries, before, after, sampled_at))
        self.watch.suspects |= set(waited_with_a_free_slot(TEAM, entries, before, before, sampled_at))
        if not self.opening_done and (capacity := sum(a.capacity for a in online(after.values()))):
            self.watch.in_use.append(sum(a.load for a in online(after.values())) / capacity)
        fairness = load_fairness(after.values())
        if fairness is not None and any(a.load for a in after.values()):
            self.watch.fairness.append(fairness)
            if busy(after.values()) and (even := even_fairness(after.values())) is not None:
                self.watch.busy.append(fairness)
                self.watch.busy_even.append(even)
            if self.opening_done and self.watch.fairness_end is None:
                self.watch.fairness_end = fairness
        now = time.monotonic()
        for agent in after.values():
            for conversation in agent.assigned:
                name = external_id(conversation)
                if name not in self.close_at:
                    self.close_at[name] = now + self.rng.uniform(*self.hold)

    async def _close_due(self) -> None:
        now = time.monotonic()
        for name, due in list(self.close_at.items()):
            if due <= now and name not in self.closed:
                self.closed.add(name)
                self._spawn(self.api.close(name))

    async def _presence_plan(self, stop: asyncio.Event) -> None:
        """Every AWAY_EVERY s while conversations are being opened, one online agent steps away."""
        away: set[str] = set()

        async def step_away(agent: str, seconds: float) -> None:
            await self.api.presence(agent, "away")
            await asyncio.sleep(seconds)
            await self.api.presence(agent, "online")
            away.discard(agent)

        while not stop.is_set() and not self.opening_done:
            try:
                await asyncio.wait_for(stop.wait(), AWAY_EVERY)
            except TimeoutError:
                pass
            online = [a for a in agent_ids() if a not in away]
            if self.opening_done or len(online) <= len(CAPACITIES) // 2:
                continue
            if self.broken.is_set():
                return
            agent = self.rng.choice(online)
            away.add(agent)
            self.presence_changes += 2
            self._spawn(step_away(agent, self.rng.uniform(*AWAY_SECONDS)))

    async def read_trails(self) -> Trails:
        trails = Trails()
        semaphore = asyncio.Semaphore(8)

        async def one(i: int) -> None:
            async with semaphore:
                try:  # a conversation stuck on a stalled desk does not answer: do not wait for each
                    entries = await asyncio.wait_for(self.api.decisions(f"floor-{i}"), TRAIL_SECONDS)
                except (ApiFailed, TimeoutError):
                    trails.unread += 1
                    return
            created = next(e for e in entries if e["event"] == "conversation.created")
            assigned = [e for e in entries if e["event"] == "conversation.assigned"]
            trails.unassigned += sum(1 for e in entries if e["event"] == "conversation.unassigned")
            if not assigned:
                trails.never_assigned.append(f"floor-{i}")
                return
            delay = datetime.fromisoformat(assigned[0]["at"]) - datetime.fromisoformat(created["at"])
            trails.assign_ms.append(delay.total_seconds() * 1000)
            trails.immediate += delay.total_seconds() == 0
            for entry in assigned:
                within = chosen_within_capacity(entry["assignment"]["assignment"])
                trails.records += within is not None
                trails.records_in_brief += within is None
                trails.records_over_capacity += within is False

        # After a stall, conversations that wait on the desk do not answer: read the first 100 only.
        read = sorted(self.opened)[: 100 if self.errors else None]
        await asyncio.gather(*(one(i) for i in read))
        return trails
