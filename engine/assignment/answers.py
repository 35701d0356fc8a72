"""Answers the roster alone settles, and answers given again: no desk bookkeeping needed for them;
and the answers the desk remembers, to give a retried request the same one.

Shared by the desk (desk_book.py) and the worker's activity that asks it (activities/assignment_desk.py),
so a tenant that does not use the roster is answered by the same rules without a desk round trip.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from engine.contracts.assignment import (
    AgentRecord,
    AssignmentDecision,
    AssignmentOutcome,
    AssignmentRequest,
    DeskState,
)

# Carried over continue-as-new with the rest of the desk's state (one payload, refused past 2 MiB):
# the latest answers whole (~2 KiB each with their candidates), older ones in brief (~0.1 KiB).
MAX_WHOLE_OUTCOMES = 100
MAX_REMEMBERED_OUTCOMES = 2_000
CARRY_LIMIT = 1_500_000
"""Carried bytes past which the desk keeps its answers in brief only, before continuing as new."""


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


def remember(state: DeskState, outcome: AssignmentOutcome) -> AssignmentOutcome:
    """Keep `outcome` as the answer to its request id (whole for the latest, in brief for older)."""
    outcomes, answered = state.outcomes, state.answered
    outcomes.pop(outcome.request_id, None)
    outcomes[outcome.request_id] = outcome
    answered.pop(outcome.request_id, None)
    answered[outcome.request_id] = f"{outcome.result} {outcome.agent or ''}".strip()
    while len(outcomes) > MAX_WHOLE_OUTCOMES:
        del outcomes[next(iter(outcomes))]
    while len(answered) > MAX_REMEMBERED_OUTCOMES:
        del answered[next(iter(answered))]
    return outcome


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


def fit_for_carry(state: DeskState) -> int:
    """Shrink what is carried over continue-as-new under CARRY_LIMIT; returns its size in bytes."""
    size = len(state.model_dump_json())
    while size > CARRY_LIMIT and state.outcomes:
        del state.outcomes[next(iter(state.outcomes))]
        size = len(state.model_dump_json())
    return size
