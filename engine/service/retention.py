"""Retention: a tenant's conversations closed and idle for longer than it keeps them, deleted.

A closed conversation's workflow waits for ever for the customer's next message (threads.py), and
its rows (replies sent, events delivered, inbound ids, the customer index) stay with it: nothing
ended, and a tenant could keep nothing for a fixed time, as the storage-limitation principle (GDPR
article 5(1)(e)) and its own policy ask. The sweep finds the tenant's conversations closed with no
activity since the cutoff (visibility: `ConvoStatus` and `ConvoLastActivityAt`), asks each one to end
(the `retire` update: the workflow refuses when anything happened since or still waits, so a message
taken an instant before is never deleted with it), asks Temporal to delete the runs that ended, then
removes the outbox mirror's lines and the database's rows of those conversations in one transaction
with a record (engine/db/erasure.py). It does not wait for Temporal to have the runs gone, as an
erasure does (engine/service/run_deletion.py): a run that ended takes no message and writes no row,
and Temporal deletes a run that ended within the last ~30 s only once its close is acknowledged
(its queues' ack levels move every 30 s). A conversation ended by a sweep that stopped before its
rows went is found by the next (visibility lists it `Completed`, closed, as idle). KPI facts and
thread summaries are kept: they hold timings, teams and agents, nothing a customer wrote, and past
KPIs stay as they were.

A message after the end begins a new conversation under the same id (a new run); its rows are not
touched (`began_again`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from engine.contracts.conversation import conversation_workflow_id, external_id_of
from engine.contracts.retirement import RETIRE_UPDATE, Retirement
from engine.db.customer_index import CustomerIndex
from engine.db.erasure import SWEPT_BY, erase_rows, erased_since, note_began_again
from engine.db.outbox_mirror import remove_from_mirror
from engine.db.schema import kpi_facts, kpi_threads
from engine.service.audit_bundle import CONVERSATION_TYPE
from engine.service.config import Settings
from engine.service.run_deletion import delete_run, runs_of
from workflows.conversation.search_attributes import LAST_ACTIVITY_AT, STATUS, TENANT
from workflows.conversation.workflow import ConversationWorkflow

RETIRE_DEADLINE = timedelta(seconds=10)
SWEEP_LIMIT = 500  # conversations one sweep ends at most (the next sweep goes on)
KEPT = (kpi_facts, kpi_threads)
RECENT = timedelta(hours=1)  # a sweep's deletions Temporal may still list
ATTEMPTS = 4
NO_WORKER = "no worker answered in time"
NO_WORKER_GIVE_UP = 3  # conversations in a row no worker answered for: the sweep stops asking


@dataclass
class SweepOutcome:
    """What a sweep found and did."""

    cutoff: datetime
    found: list[str] = field(default_factory=list)
    """Closed and idle since before the cutoff, as visibility lists them."""
    refused: dict[str, str] = field(default_factory=dict)
    """Asked to end and refused (active since, something waits), with the workflow's reason."""
    record: dict[str, Any] | None = None
    """The erasure's record of what was deleted (None for a dry run, or when nothing was)."""
    stopped: str | None = None
    """Why the sweep stopped before deleting: the keep time was lengthened or turned off meanwhile
    (what it ended by then stays, ended: a customer's next message begins it again)."""


def visibility_query(tenant: str, cutoff: datetime) -> str:
    """Closed conversations of the tenant whose last activity (to the minute) was before the cutoff."""
    if "'" in tenant or "\\" in tenant:
        raise ValueError("unsafe tenant")
    return (
        f"WorkflowType = '{CONVERSATION_TYPE}' AND ExecutionStatus IN ('Running', 'Completed') AND "
        f"{TENANT.name} = '{tenant}' AND {STATUS.name} = 'closed' AND "
        f"{LAST_ACTIVITY_AT.name} < '{cutoff.astimezone(UTC).isoformat()}'"
    )


async def candidates(
    client: Client, database: AsyncEngine, tenant: str, cutoff: datetime
) -> AsyncIterator[str]:
    """The tenant's conversations closed and idle since before the cutoff, each once; not those a
    sweep deleted in the last hour whose runs Temporal still lists (it deletes a run that ended
    moments ago ~30 s later: a sweep run again took them again, and spent its limit on them)."""
    deleted = await erased_since(database, tenant, datetime.now(UTC) - RECENT)
    seen: set[str] = set()  # a conversation's ended runs are listed with its running one
    async for listed in client.list_workflows(visibility_query(tenant, cutoff)):
        conversation = external_id_of(listed.id)
        if conversation in seen:
            continue
        seen.add(conversation)
        if conversation in deleted and not await _running(client, tenant, conversation):
            continue
        yield conversation


async def expired(
    client: Client, database: AsyncEngine, tenant: str, cutoff: datetime, limit: int = SWEEP_LIMIT
) -> list[str]:
    """What a sweep would ask to end, at most `limit` (some may refuse: the dry run does not ask)."""
    found = []
    async for conversation in candidates(client, database, tenant, cutoff):
        found.append(conversation)
        if len(found) >= limit:
            break
    return found


async def sweep(
    client: Client,
    database: AsyncEngine,
    settings: Settings,
    tenant: str,
    keep_days: float,
    *,
    limit: int = SWEEP_LIMIT,
    dry_run: bool = False,
    now: datetime | None = None,
    keep_days_now: Callable[[], Awaitable[float | None]] | None = None,
) -> SweepOutcome:
    """Delete the tenant's conversations closed with no activity for `keep_days` (at most `limit`).

    `keep_days_now`: the tenant's keep time as it is now (None: off), asked before each conversation
    and before anything is deleted; a keep time longer than `keep_days`, or none, stops the sweep (an
    admin who turned retention off while it ran saw conversations deleted under the old setting)."""

    async def changed() -> bool:
        if keep_days_now is None:
            return False
        now_kept = await keep_days_now()
        if now_kept is None or now_kept > keep_days:
            outcome.stopped = "the tenant's retention_days was lengthened or turned off during the sweep"
            return True
        return False

    began = now or datetime.now(UTC)
    outcome = SweepOutcome(cutoff=began - timedelta(days=keep_days))
    if dry_run:
        outcome.found = await expired(client, database, tenant, outcome.cutoff, limit)
        return outcome
    # The limit counts the conversations ended: one that refuses each day (a survey waiting its
    # week) took a place of every sweep, and `--limit 1` ended nothing, for ever. Asking stops at
    # ATTEMPTS times the limit.
    ended: list[str] = []
    silent = 0
    async for conversation in candidates(client, database, tenant, outcome.cutoff):
        if await changed():
            return outcome
        outcome.found.append(conversation)
        why = await _retire(client, tenant, conversation, outcome.cutoff)
        if why is None:
            ended.append(conversation)
        else:
            outcome.refused[conversation] = why
        silent = silent + 1 if why == NO_WORKER else 0
        if silent >= NO_WORKER_GIVE_UP:  # no worker runs: the rest would wait 10 s each for nothing
            break
        if len(ended) >= limit or len(outcome.found) >= ATTEMPTS * limit:
            break
    if ended and await changed():
        return outcome
    runs = 0
    again: set[str] = set()
    for conversation in ended:
        deleted_runs = await _delete_ended_runs(client, tenant, conversation)
        if deleted_runs is None:
            again.add(conversation)
        else:
            runs += deleted_runs
    # Asked again just before the rows go: a message since the deletions began a new run, whose rows
    # (its index row, inbound ids, acknowledgement) must stay. What is left is the moment between this
    # last look and the transaction: a message then may lose the index row the API wrote for it (the
    # conversation is found again from its next message on).
    again |= {c for c in ended if c not in again and await _running(client, tenant, c)}
    deleted = [c for c in ended if c not in again]
    if not deleted:
        return outcome
    workflows = {conversation_workflow_id(tenant, c) for c in deleted}
    mirrored = await asyncio.to_thread(remove_from_mirror, settings.outbox_path, workflows)
    outcome.record = await erase_rows(
        database,
        tenant,
        deleted,
        (),
        (),
        (),
        actor=f"{SWEPT_BY} closed, no activity since {outcome.cutoff.date().isoformat()}",
        removed={"temporal_runs": runs, "outbox_mirror_lines": mirrored},
        keep=KEPT,
        details={"began_again": sorted(again)},
    )
    # A message in the moment between the last look and the commit began a run whose index row the
    # API may have written before the rows went: written again from its state (the API's memory of
    # rows written would skip it at the conversation's next messages).
    late = [c for c in deleted if await _running(client, tenant, c)]
    for conversation in late:
        await _index_again(client, database, tenant, conversation)
    if late:
        outcome.record["began_again"] = sorted({*again, *late})
        await note_began_again(database, outcome.record["erasure_id"], outcome.record["began_again"])
    return outcome


async def _index_again(client: Client, database: AsyncEngine, tenant: str, conversation: str) -> None:
    handle = client.get_workflow_handle_for(
        ConversationWorkflow.run, conversation_workflow_id(tenant, conversation)
    )
    try:
        state = await handle.query(ConversationWorkflow.state_without_trail, rpc_timeout=RETIRE_DEADLINE)
    except (RPCError, WorkflowQueryFailedError):
        return  # indexed again at its next message that begins nothing (the API writes every sender)
    await CustomerIndex(database).add(
        tenant, state.customer.address, conversation, state.channel.value, state.created_at, created=True
    )


async def _running(client: Client, tenant: str, conversation: str) -> bool:
    """Whether the conversation's latest run is running (after it ended: a message began it anew)."""
    try:
        described = await client.get_workflow_handle(
            conversation_workflow_id(tenant, conversation)
        ).describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return described.status == WorkflowExecutionStatus.RUNNING


async def _retire(client: Client, tenant: str, conversation: str, cutoff: datetime) -> str | None:
    """None when the conversation's run ended (now, or before: a sweep that stopped); else why not."""
    handle = client.get_workflow_handle(conversation_workflow_id(tenant, conversation))
    try:
        if not await _running(client, tenant, conversation):
            return None
        await handle.execute_update(
            RETIRE_UPDATE, Retirement(idle_before=cutoff), rpc_timeout=RETIRE_DEADLINE
        )
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        return str(cause.message if hasattr(cause, "message") else cause)
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        return NO_WORKER  # the others go on: one stuck conversation stopped them all
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None  # ended already (a sweep run again): its runs go
        return f"Temporal did not answer ({exc.status.name})"
    return None


async def _delete_ended_runs(client: Client, tenant: str, conversation: str) -> int | None:
    """The conversation's runs deleted, once it ended; None, deleting nothing, when its latest run
    runs (a message began it anew, or was taken as it ended and the run went on as new: its earlier
    runs are its history)."""
    if await _running(client, tenant, conversation):
        return None
    workflow_id = conversation_workflow_id(tenant, conversation)
    deleted = 0
    for run_id in await runs_of(client, tenant, conversation):
        try:
            described = await client.get_workflow_handle(workflow_id, run_id=run_id).describe()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            continue
        if described.status != WorkflowExecutionStatus.RUNNING:
            deleted += await delete_run(client, workflow_id, run_id)
    return deleted
