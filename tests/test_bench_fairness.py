"""The assignment benchmark's arithmetic (bench/fairness.py): Jain's index, the spread, and how one
sample of the roster and a team queue is judged for capacity and for conversations left waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.assignment_api import external_id
from bench.fairness import (
    Agent,
    busy,
    chosen_within_capacity,
    even_fairness,
    jain,
    load_fairness,
    online,
    over_capacity,
    spread,
    waited_with_a_free_slot,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def agent(agent_id: str, load: int, capacity: int, **fields: Any) -> Agent:
    view = {
        "id": agent_id,
        "presence": "online",
        "load": load,
        "capacity": capacity,
        "teams": ["floor"],
        "skills": ["lang:en"],
        "assigned": [f"conversation:bench:{agent_id}-{n}" for n in range(load)],
    }
    return Agent.of(view | fields)


def queued(conversation: str, waited_seconds: float, skills: list[str] | None = None) -> dict[str, Any]:
    since = NOW - timedelta(seconds=waited_seconds)
    return {"conversation_id": conversation, "waiting_since": since.isoformat(), "skills": skills or []}


def test_jains_index_is_one_when_equal_and_one_over_n_when_one_has_everything() -> None:
    assert jain([0.5, 0.5, 0.5]) == pytest.approx(1.0)
    assert jain([1.0, 0.0, 0.0, 0.0]) == pytest.approx(0.25)
    assert jain([0.0, 0.0]) == 1.0  # nobody loaded: fair, not a division by zero
    assert jain([1.0, 0.5]) == pytest.approx(1.5**2 / (2 * 1.25))
    with pytest.raises(ValueError):
        jain([])
    with pytest.raises(ValueError):
        jain([-1.0, 1.0])


def test_the_spread_of_assignments_is_max_minus_min() -> None:
    assert spread({"a": 6, "b": 6, "c": 6}) == 0
    assert spread({"a": 10, "b": 8, "c": 0}) == 10  # the first agent online took everything it could
    with pytest.raises(ValueError):
        spread({})


def test_fairness_is_load_over_capacity_of_the_online_agents_only() -> None:
    agents = [agent("a", 2, 4), agent("b", 5, 10), agent("c", 3, 3, presence="away")]
    assert load_fairness(agents) == pytest.approx(1.0)  # 2/4 and 5/10; the away agent is not judged
    assert load_fairness([agent("c", 3, 3, presence="away")]) is None
    assert Agent.of({**agent_view("d"), "capacity": {"email": 3, "chat": 2}}).capacity == 5


def agent_view(agent_id: str) -> dict[str, Any]:
    return {"id": agent_id, "presence": "online", "load": None, "teams": [], "skills": [], "assigned": None}


def test_the_even_handout_spreads_the_same_load_in_whole_conversations() -> None:
    # 3 conversations over 10 agents of capacity 5: at best 3 agents hold one each
    few = [agent(f"a{n}", 3 if n == 0 else 0, 5) for n in range(10)]
    assert load_fairness(few) == pytest.approx(0.1)
    assert even_fairness(few) == pytest.approx(0.3)
    assert not busy(few)
    # a full team (2/2 and 4/4) is as even as it gets
    mixed = [agent("small", 2, 2), agent("big", 4, 4)]
    assert even_fairness(mixed) == pytest.approx(1.0)
    assert busy(mixed)
    assert even_fairness([agent("x", 1, 1, presence="offline")]) is None


def test_agents_over_capacity_are_named_whatever_their_presence() -> None:
    agents = [agent("a", 3, 3), agent("b", 4, 3, presence="away"), agent("c", 0, 2)]
    assert over_capacity(agents) == ["b"]


def test_a_conversation_waiting_over_a_second_while_an_eligible_agent_is_free_is_counted() -> None:
    full, free = agent("full", 2, 2), agent("free", 1, 3)
    roster = {"full": full, "free": free}
    entries = [queued("c-old", 1.5), queued("c-new", 0.4)]
    assert waited_with_a_free_slot("floor", entries, roster, roster, NOW) == ["c-old"]
    # the free agent lacks the skill, is in another team, or is away: nobody eligible was free
    needs_de = [queued("c-de", 3.0, ["lang:de"])]
    assert waited_with_a_free_slot("floor", needs_de, roster, roster, NOW) == []
    assert waited_with_a_free_slot("sales", entries, roster, roster, NOW) == []
    away = {"full": full, "free": agent("free", 1, 3, presence="away")}
    assert waited_with_a_free_slot("floor", entries, away, away, NOW) == []


def test_a_slot_that_changed_between_the_two_roster_reads_is_not_counted_as_idle() -> None:
    entries = [queued("c-old", 5.0)]
    before = {"free": agent("free", 1, 3)}
    served = {
        "free": Agent.of(
            {
                **agent_view("free"),
                "capacity": 3,
                "teams": ["floor"],
                "load": 2,
                "assigned": ["x", "c-old"],
                "skills": ["lang:en"],
            }
        )
    }
    assert waited_with_a_free_slot("floor", entries, before, served, NOW) == []
    assert waited_with_a_free_slot("floor", entries, before, before, NOW) == ["c-old"]


def test_a_decision_record_is_within_capacity_when_its_chosen_agent_had_a_free_slot() -> None:
    record = {
        "chosen": "ana",
        "candidates": [
            {"agent": "ana", "load": 1, "capacity": 2, "excluded_by": None},
            {"agent": "ben", "load": 2, "capacity": 2, "excluded_by": "at capacity (2/2)"},
        ],
    }
    assert chosen_within_capacity(record)
    assert chosen_within_capacity({"chosen": None, "candidates": []})
    full = {"chosen": "ana", "candidates": [{"agent": "ana", "load": 2, "capacity": 2, "excluded_by": None}]}
    assert chosen_within_capacity(full) is False
    # a retried request's answer repeated in brief names the agent without candidates: not judged
    assert chosen_within_capacity({"chosen": "ana", "candidates": []}) is None


def test_the_bench_closes_conversations_listed_by_conversation_id_or_by_workflow_id() -> None:
    # GET /v1/agents lists conversation ids since the ops console; the sampler died on them before
    assert external_id("floor-7") == external_id("conversation:bench:floor-7") == "floor-7"
    agents = [agent("ana", 1, 2), agent("ben", 0, 4, presence="away")]
    assert [a.id for a in online(agents)] == ["ana"]
