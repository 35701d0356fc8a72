"""A conversation's messages to its tenant's assignment desk: an update for a request, signals for news.

Both start the desk when it is not running (update-with-start and signal-with-start, on the worker's
own task queue), so no deployment step creates desks and a tenant's first routed conversation
brings its desk up. A retried request reaches the desk again with the same request id and gets the
same answer (the desk remembers answers by request id), so a lost reply never assigns twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from engine.assignment.answers import settled_by_roster
from engine.contracts.activities import ASK_DESK, TELL_DESK, Desk
from engine.contracts.assignment import (
    CONVERSATION_STATUS,
    DESK_WORKFLOW,
    RELEASE,
    REQUEST_ASSIGNMENT,
    AssignmentOutcome,
    DeskAsk,
    DeskLetter,
    DeskStart,
    desk_workflow_id,
)
from engine.db.roster import RosterStore


class DeskActivities(Desk):
    """Talks to desks through the worker's own Temporal client."""

    def __init__(self, client: Client | None, roster: RosterStore | None = None) -> None:
        self._client = client
        self._roster = roster

    @property
    def client(self) -> Client:
        if self._client is None:
            raise RuntimeError("this worker was built without a Temporal client: no assignment desk")
        return self._client

    @activity.defn(name=ASK_DESK)
    async def ask_desk(self, ask: DeskAsk) -> AssignmentOutcome:
        if self._roster is not None:
            # Tenants that do not use the roster (no agents, or none in the team) are answered here,
            # by the rules the desk itself applies: they never pay for a desk round trip.
            agents = [stored.record for stored in await self._roster.list(ask.tenant)]
            settled = settled_by_roster(ask.request, agents, datetime.now(UTC))
            if settled is not None:
                return settled
        start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            DESK_WORKFLOW,
            DeskStart(tenant=ask.tenant),
            id=desk_workflow_id(ask.tenant),
            task_queue=activity.info().task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        return await self.client.execute_update_with_start_workflow(
            REQUEST_ASSIGNMENT, ask.request, start_workflow_operation=start, result_type=AssignmentOutcome
        )

    @activity.defn(name=TELL_DESK)
    async def tell_desk(self, letter: DeskLetter) -> None:
        name, payload = (
            (RELEASE, letter.release) if letter.release is not None else (CONVERSATION_STATUS, letter.status)
        )
        await self.client.start_workflow(
            DESK_WORKFLOW,
            DeskStart(tenant=letter.tenant),
            id=desk_workflow_id(letter.tenant),
            task_queue=activity.info().task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            start_signal=name,
            start_signal_args=[payload],
        )
