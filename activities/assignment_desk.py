"""A conversation's messages to its tenant's assignment desk: an update for a request, updates for news.

Each starts the desk when it is not running (update-with-start, and signal-with-start for news
whose update did not land; on the worker's own task queue), so no deployment step creates desks
and a tenant's first routed conversation brings its desk up. A retried request reaches the desk
again with the same request id and gets the same answer (the desk remembers answers by request
id), so a lost reply never assigns twice.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from engine.assignment.answers import settled_by_roster
from engine.contracts.activities import ASK_DESK, TELL_DESK, Desk
from engine.contracts.assignment import (
    CONVERSATION_STATUS,
    DESK_WORKFLOW,
    RELEASE,
    RELEASE_UPDATE,
    REQUEST_ASSIGNMENT,
    STATUS_UPDATE,
    AssignmentOutcome,
    DeskAsk,
    DeskLetter,
    DeskStart,
    desk_workflow_id,
)
from engine.db.roster import RosterStore

# A desk answers news in one workflow task (tens of ms); past this it is stalled or not running, and
# the conversation sends the signal instead of waiting for it (its local attempt has 10 s in all).
UPDATE_LANDS_WITHIN = timedelta(seconds=2)


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
        start = desk_start(ask.tenant, activity.info().task_queue)
        return await self.client.execute_update_with_start_workflow(
            REQUEST_ASSIGNMENT, ask.request, start_workflow_operation=start, result_type=AssignmentOutcome
        )

    @activity.defn(name=TELL_DESK)
    async def tell_desk(self, letter: DeskLetter) -> None:
        await tell(self.client, activity.info().task_queue, letter)


async def tell(client: Client, task_queue: str, letter: DeskLetter) -> None:
    """Give the desk a conversation's news: as an update, or as a signal when the update does not land.

    An update that reaches a desk as it continues as new goes on to the next run; a signal then makes
    Temporal refuse the continue-as-new, and the desk replays its run before it answers anyone again
    (workflows/assignment_desk/workflow.py `release_seat`). The signal stays the fallback: it is
    recorded even when no worker runs the desk (an update would hold the conversation until one does),
    and a desk of an earlier version knows only the signal. Applying the news twice (an update
    admitted before its answer timed out, then the signal) changes nothing: a seat released is gone,
    a status reported is set.
    """
    name, signal, payload = (
        (RELEASE_UPDATE, RELEASE, letter.release)
        if letter.release is not None
        else (STATUS_UPDATE, CONVERSATION_STATUS, letter.status)
    )
    try:
        async with asyncio.timeout(UPDATE_LANDS_WITHIN.total_seconds()):
            start = desk_start(letter.tenant, task_queue)
            await client.execute_update_with_start_workflow(name, payload, start_workflow_operation=start)
        return
    except (TimeoutError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError):
        pass  # the signal below carries the same news
    await client.start_workflow(
        DESK_WORKFLOW,
        DeskStart(tenant=letter.tenant),
        id=desk_workflow_id(letter.tenant),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        start_signal=signal,
        start_signal_args=[payload],
    )


def desk_start(tenant: str, task_queue: str) -> WithStartWorkflowOperation[Any, Any]:
    """Start the tenant's desk with the update, or send the update to the desk already running."""
    return WithStartWorkflowOperation(
        DESK_WORKFLOW,
        DeskStart(tenant=tenant),
        id=desk_workflow_id(tenant),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
