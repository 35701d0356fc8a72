"""What the assignment desk carries over continue-as-new must fit in one Temporal payload.

Found by `python -m bench assignment` (bench/assignment_bench.py): after ~1,000 conversations over
10 agents the desk's continue-as-new input (DeskState) passed Temporal's 2 MiB payload limit, the
desk's workflow task failed on every attempt, and from then on every new conversation of the tenant
was answered 503 (its first message waits for the desk). The remembered answers (up to
MAX_REMEMBERED_OUTCOMES, each with its full decision record: every candidate with its skills) are
most of it: ~1.8 KB each with 10 candidates, 3.6 MB at the cap.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.assignment.desk_book import MAX_REMEMBERED_OUTCOMES, DeskBook
from engine.contracts.assignment import AgentRecord, AssignmentRequest, DeskState, Roster, TeamPolicy

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
TEMPORAL_PAYLOAD_LIMIT = 2 * 1024 * 1024  # the server refuses a larger payload (blob size limit)


@pytest.mark.xfail(
    strict=True,
    reason="bug (reported by the bench16 branch): the carried state outgrows Temporal's payload limit",
)
def test_the_state_a_busy_desk_carries_over_continue_as_new_fits_in_one_payload() -> None:
    agents = [
        AgentRecord(
            agent_id=f"agent-{i:02d}",
            name=f"Agent {i}",
            teams=["support"],
            skills=["lang:en", "lang:de", "product:billing"],
            capacity={"*": 10},
            presence="online",
        )
        for i in range(10)
    ]
    desk = DeskBook(DeskState(tenant="t"))
    desk.apply_roster(Roster(agents=agents, read_at=T0), T0)
    for n in range(MAX_REMEMBERED_OUTCOMES):  # a busy day: each conversation assigned, then closed
        conversation = f"conversation:t:c{n}"
        request = AssignmentRequest(
            request_id=f"{conversation}:1:0",
            conversation_id=conversation,
            team="support",
            channel="email",
            requested_at=T0,
            strategy="least_loaded",
            policy=TeamPolicy(strategy="least_loaded"),
        )
        assert desk.request(request, T0).result == "assigned"
        desk.release(conversation, T0)
    carried = len(desk.state.model_dump_json().encode())
    assert carried < TEMPORAL_PAYLOAD_LIMIT, f"{carried:,} bytes carried over continue-as-new"
