"""Answers the roster alone settles, and answers given again: no desk bookkeeping needed for them.

Shared by the desk (desk_book.py) and the worker's activity that asks it (activities/assignment_desk.py),
so a tenant that does not use the roster is answered by the same rules without a desk round trip.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from engine.contracts.assignment import AgentRecord, AssignmentDecision, AssignmentOutcome, AssignmentRequest


def settled_by_roster(
    request: AssignmentRequest, agents: Iterable[AgentRecord], now: datetime
) -> AssignmentOutcome | None:
    """The answer when the roster alone settles a request, so no desk needs to be asked.

    A tenant without agents assigns in its own helpdesk: a named agent is recorded as reported, and a
    team nobody in the roster belongs to is not queued (queueing would only grow the desk). The
    worker answers these before calling the desk, so tenants that do not use the roster never pay
    for a desk round trip; the desk applies the same rules to what reaches it.
    """
    roster = list(agents)
    members = [a for a in roster if request.strategy == "agent" or request.team in a.teams]
    if request.strategy == "agent" and not roster:
        decision = AssignmentDecision(
            strategy="agent",
            team=request.team,
            channel=request.channel,
            chosen=request.agent,
            reason="the tenant has no roster: recorded as reported",
        )
        return outcome_of(request, "assigned", decision, now)
    if request.strategy != "agent" and not members:
        reason = f"team {request.team} has no agents in the roster"
        decision = AssignmentDecision(
            strategy=request.strategy, team=request.team, channel=request.channel, reason=reason
        )
        return outcome_of(request, "refused", decision, now)
    return None


def repeated(request: AssignmentRequest, brief: str, now: datetime) -> AssignmentOutcome:
    """An older answer again, in brief: its full record is in the desk's history where it was made."""
    result, _, agent = brief.partition(" ")
    decision = AssignmentDecision(
        strategy=request.strategy,
        team=request.team,
        channel=request.channel,
        chosen=agent or None,
        reason="the same answer to a retried request (the desk's history holds its full record)",
    )
    return outcome_of(request, result, decision, now)  # type: ignore[arg-type]


def outcome_of(
    request: AssignmentRequest,
    result: Literal["assigned", "queued", "refused"],
    decision: AssignmentDecision,
    now: datetime,
    queue_length: int = 0,
) -> AssignmentOutcome:
    return AssignmentOutcome(
        request_id=request.request_id,
        conversation_id=request.conversation_id,
        result=result,
        agent=decision.chosen,
        team=request.team,
        decision=decision,
        queue_length=queue_length,
        at=now,
    )
