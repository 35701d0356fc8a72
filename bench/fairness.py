"""The assignment benchmark's arithmetic: Jain's fairness index, the spread of assignment counts, and
what one sample of the roster and a team queue says about capacity and waiting.

Pure functions over plain data (the JSON of `GET /v1/agents` and `GET /v1/teams/{team}/queue`), so
tests/test_bench_stats.py checks them without a server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


def jain(values: Sequence[float]) -> float:
    """Jain's fairness index (sum x)^2 / (n * sum x^2): 1.0 when all are equal, 1/n when one has all.

    All zero (nobody loaded) is perfectly fair: 1.0, not a division by zero.
    """
    if not values:
        raise ValueError("no values")
    if any(v < 0 for v in values):
        raise ValueError("Jain's index is defined for non-negative values")
    squares = sum(v * v for v in values)
    if squares == 0:
        return 1.0
    return sum(values) ** 2 / (len(values) * squares)


def spread(counts: Mapping[str, int]) -> int:
    """Max minus min of assignment counts per agent (agents with none count as 0 if listed)."""
    if not counts:
        raise ValueError("no agents")
    return max(counts.values()) - min(counts.values())


@dataclass(frozen=True)
class Agent:
    """One agent in one sample, as `GET /v1/agents` says: presence from the database, load from the desk."""

    id: str
    presence: str
    load: int
    capacity: int
    teams: frozenset[str]
    skills: frozenset[str]
    assigned: tuple[str, ...]

    @classmethod
    def of(cls, view: Mapping[str, Any]) -> Agent:
        capacity = view["capacity"]
        whole = capacity if isinstance(capacity, int) else sum(capacity.values())
        return cls(
            id=view["id"],
            presence=view["presence"],
            load=int(view["load"] or 0),
            capacity=whole,
            teams=frozenset(view["teams"]),
            skills=frozenset(view["skills"]),
            assigned=tuple(view["assigned"] or ()),
        )

    def free_for(self, team: str, skills: Iterable[str]) -> bool:
        """Whether the agent could take a conversation of `team` needing `skills` right now."""
        return (
            self.presence == "online"
            and team in self.teams
            and self.load < self.capacity
            and set(skills) <= self.skills
        )


def online(agents: Iterable[Agent]) -> list[Agent]:
    """The agents the desk can give a conversation to now (presence online)."""
    return [a for a in agents if a.presence == "online"]


def load_fairness(agents: Iterable[Agent]) -> float | None:
    """Jain's index of load/capacity over the online agents with capacity; None when none is online."""
    ratios = [a.load / a.capacity for a in agents if a.presence == "online" and a.capacity > 0]
    return jain(ratios) if ratios else None


def even_fairness(agents: Iterable[Agent]) -> float | None:
    """Jain's index the same online load would have if handed out evenly in whole conversations
    (each to the agent whose load/capacity stays lowest): the yardstick a raw index is read against.

    With 3 conversations over 10 agents no handout scores more than 0.3, so a raw index says little
    at low load. (It keeps the highest load/capacity lowest; it is close to, not exactly, the best
    Jain's index.)
    """
    online = [a for a in agents if a.presence == "online" and a.capacity > 0]
    if not online:
        return None
    loads = [0] * len(online)
    for _ in range(sum(a.load for a in online)):
        i = min(range(len(online)), key=lambda k: ((loads[k] + 1) / online[k].capacity, k))
        loads[i] += 1
    return jain([load / a.capacity for load, a in zip(loads, online, strict=True)])


def busy(agents: Iterable[Agent]) -> bool:
    """At least one conversation per online agent: enough load for the index to mean something."""
    online = [a for a in agents if a.presence == "online"]
    return bool(online) and sum(a.load for a in online) >= len(online)


def over_capacity(agents: Iterable[Agent]) -> list[str]:
    """Agents holding more conversations than their capacity (whatever their presence)."""
    return [a.id for a in agents if a.load > a.capacity]


def waited_with_a_free_slot(
    team: str,
    entries: Iterable[Mapping[str, Any]],
    before: Mapping[str, Agent],
    after: Mapping[str, Agent],
    sampled_at: datetime,
    patience: timedelta = timedelta(seconds=1),
) -> list[str]:
    """Queued conversations that had waited longer than `patience` while an eligible agent was free.

    `before` and `after` are the roster read just before and just after the queue: an agent counts as
    free only if it is free for the entry in both and its assigned conversations did not change in
    between, so a slot that opened while the samples were taken (and is about to be filled) is not
    mistaken for a slot left idle.
    """
    free = [
        a
        for agent_id, a in before.items()
        if (b := after.get(agent_id)) is not None and b.assigned == a.assigned and b.presence == a.presence
    ]
    late = []
    for entry in entries:
        since = datetime.fromisoformat(entry["waiting_since"])
        if sampled_at - since <= patience:
            continue
        if any(a.free_for(team, entry["skills"]) for a in free):
            late.append(entry["conversation_id"])
    return late


def chosen_within_capacity(record: Mapping[str, Any]) -> bool | None:
    """Whether a decision record's chosen agent had a free slot when chosen (load before < capacity).

    None: the record cannot say. A retried request whose answer the desk keeps only in brief gets
    that answer again without candidates (engine/assignment/answers.py `repeated`); its full record
    is the one the first attempt got.
    """
    chosen = record.get("chosen")
    if chosen is None:
        return True
    candidate = next((c for c in record["candidates"] if c["agent"] == chosen), None)
    if candidate is None:
        return None
    return bool(candidate["load"] < candidate["capacity"] and candidate["excluded_by"] is None)
