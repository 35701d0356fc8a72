"""A pending conversation that becomes open again counts toward its agent's load again, even when the
slot it freed went to a queued conversation meanwhile: the agent is over capacity for a while.

Found by the assignment bench (bench16). The desk's answer, as helpdesks do it: the customer keeps
the agent they were talking to (taking a conversation away because its customer wrote back would
be worse), and the agent gets nothing new until under capacity again. What the desk guarantees is
about assignments: none is ever made to an agent at or over capacity.
"""

from __future__ import annotations

from datetime import timedelta

from tests.test_assignment_book import T0, agent, ask, book


def test_a_reopened_conversation_stays_with_its_agent_who_gets_nothing_new_until_under_capacity() -> None:
    desk = book(agent("ana", capacity=2))
    for n in range(3):  # two seats, the third waits
        desk.request(ask(n, at=T0 + timedelta(minutes=n)), T0 + timedelta(minutes=n))
    later = T0 + timedelta(minutes=5)
    desk.report_status("conversation:t:c0", "pending", later)  # frees a slot: c2 takes it
    assert desk.state.seats["conversation:t:c2"].agent == "ana"
    desk.report_status("conversation:t:c0", "open", later + timedelta(minutes=1))  # the customer wrote
    assert desk.state.seats["conversation:t:c0"].agent == "ana"  # kept: 3 open with capacity 2
    waiting = desk.request(ask(3), later + timedelta(minutes=2))
    assert waiting.result == "queued"
    (ana,) = waiting.decision.candidates
    assert ana.excluded_by == "at capacity (3/2)"
    desk.release("conversation:t:c1", later + timedelta(minutes=3))  # 2/2: still no room
    assert desk.state.seats.get("conversation:t:c3") is None
    desk.release("conversation:t:c2", later + timedelta(minutes=4))  # 1/2: the waiting one goes
    assert desk.state.seats["conversation:t:c3"].agent == "ana"
