"""What the assignment desk carries over continue-as-new must fit in one Temporal payload.

Found by `python -m bench assignment --rate 6` (bench/assignment_bench.py): a few hundred
conversations over 10 agents in, the desk continued as new with a ~1.8 MB input (DeskState); on the
loaded 2-core machine decoding it took over the SDK's 2 s deadlock limit ("[TMPRL1101] Potential
deadlock detected" in `_make_workflow_input`), so the desk's workflow task failed on every attempt
(each one replays from that input), and from then on every new conversation of the tenant was
answered 503 (its first message waits for the desk). At the caps the input is past Temporal's hard
2 MiB payload limit as well. The remembered answers (up to MAX_REMEMBERED_OUTCOMES, each with its
full decision record: every candidate with its skills) are most of it: ~1.8 KB each with 10
candidates, 3.7 MB at the cap. Main's 7055359 keeps the latest 100 whole and the rest in brief;
this holds it to a size that decodes well within the deadlock limit.
"""

from __future__ import annotations

from datetime import UTC, datetime

from engine.assignment.answers import MAX_REMEMBERED_OUTCOMES
from engine.assignment.desk_book import DeskBook
from engine.contracts.assignment import AgentRecord, AssignmentRequest, DeskState, Roster, TeamPolicy

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
# The server warns from 512 KiB (and refuses from 2 MiB): an input that size still decodes well within
# the deadlock limit on a loaded machine.
PAYLOAD_WARNING = 512 * 1024


def test_the_state_a_busy_desk_carries_over_continue_as_new_stays_a_small_payload() -> None:
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
    assert carried < PAYLOAD_WARNING, f"{carried:,} bytes carried over continue-as-new"
