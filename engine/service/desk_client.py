"""Talking to a tenant's assignment desk from outside it: the API and the CLI share this.

After every roster write the writer signals the desk (`roster_changed`) with signal-with-start, so a
tenant's first agent also starts its desk, and a desk that is already running (the usual case) just
gets the signal: `USE_EXISTING` never starts a second one. The desk then re-reads the roster through
its activity; the signal carries only which agent changed, never the row, so what the desk decided
on is always what the database held when it read it.

The queries answer what the desk holds now. A tenant whose desk does not run has no loads and empty
queues: that is what a new desk would answer. A desk that runs but cannot answer (no worker) is
DeskUnavailable, so a caller can tell "nothing assigned" from "don't know".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from engine.contracts.assignment import (
    DESK_WORKFLOW,
    LOADS_QUERY,
    QUEUE_QUERY,
    ROSTER_CHANGED,
    WAITING_TEAMS_QUERY,
    AgentLoad,
    DeskStart,
    RosterChange,
    TeamQueue,
    desk_workflow_id,
)


class DeskUnavailable(Exception):
    """The desk runs but cannot answer now: no worker polls its task queue, or none answered in time."""


async def signal_roster_changed(
    client: Client, task_queue: str, tenant: str, agent_id: str | None, rpc_timeout: timedelta | None = None
) -> None:
    """Tell the tenant's desk to read the roster again, starting the desk if it is not running.

    Raises RPCError when Temporal does not answer (the roster is written either way: the desk reads
    it all when it next starts or is signalled).
    """
    await client.start_workflow(
        DESK_WORKFLOW,
        DeskStart(tenant=tenant),
        id=desk_workflow_id(tenant),
        task_queue=task_queue,
        start_signal=ROSTER_CHANGED,
        start_signal_args=[RosterChange(agent_id=agent_id)],
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        rpc_timeout=rpc_timeout,
    )


async def reread_running_desks(client: Client, task_queue: str) -> tuple[int, int]:
    """Tell every running desk on `task_queue` to read the roster again; returns how many were told,
    and how many could not be (one desk Temporal did not take a signal for does not stop the rest).

    A worker calls it when it starts: the desk keeps the roster it read last, with the heartbeat
    timeout of the worker that read it, so a restart that turned the timeout on (or changed it) was
    not heard until the next roster write, and silent agents stayed online and took conversations.
    A desk that ended meanwhile is skipped; the next roster write starts it again.
    """
    query = f"WorkflowType = '{DESK_WORKFLOW}' AND ExecutionStatus = 'Running' AND TaskQueue = '{task_queue}'"
    told = failed = 0
    async for desk in client.list_workflows(query):
        try:
            await client.get_workflow_handle(desk.id).signal(ROSTER_CHANGED, RosterChange())
            told += 1
        except RPCError as exc:
            failed += exc.status != RPCStatusCode.NOT_FOUND
    return told, failed


def desk_handle(client: Client, tenant: str) -> WorkflowHandle:
    """The tenant's desk, whichever run is current (continue-as-new keeps the id)."""
    return client.get_workflow_handle(desk_workflow_id(tenant))


async def query_loads(client: Client, tenant: str, deadline: timedelta) -> list[AgentLoad] | None:
    """Every agent's load and assigned conversations as the desk counts them; None without a desk.

    Raises DeskUnavailable when the desk runs but cannot answer, RPCError when Temporal does not.
    """
    handle = await _answering_desk(client, tenant, deadline)
    if handle is None:
        return None
    loads = await _query(handle, deadline, LOADS_QUERY, None, list[AgentLoad])
    return None if loads is None else [AgentLoad.model_validate(load) for load in loads]


async def query_queue(client: Client, tenant: str, team: str, deadline: timedelta) -> TeamQueue:
    """The team's waiting conversations in the order they will be served; empty without a desk.

    Raises DeskUnavailable when the desk runs but cannot answer, RPCError when Temporal does not.
    """
    handle = await _answering_desk(client, tenant, deadline)
    if handle is None:
        return TeamQueue(team=team)
    return TeamQueue.model_validate(await _query(handle, deadline, QUEUE_QUERY, team, TeamQueue))


async def query_waiting_teams(client: Client, tenant: str, deadline: timedelta) -> list[str]:
    """The teams a conversation waits in; none without a desk.

    Raises DeskUnavailable when the desk runs but cannot answer (a desk of an older worker has no
    such query), RPCError when Temporal does not.
    """
    handle = await _answering_desk(client, tenant, deadline)
    if handle is None:
        return []
    return list(await _query(handle, deadline, WAITING_TEAMS_QUERY, None, list[str]) or [])


async def _answering_desk(client: Client, tenant: str, deadline: timedelta) -> WorkflowHandle | None:
    """The running desk (None: none runs), checked to have a worker before it is queried.

    A query to a workflow no worker polls for waits out its whole deadline; asking the task queue
    first answers at once in the common outage (workers down) and when a desk was started (by a
    roster write) on a deployment whose workers do not run desks yet.
    """
    handle = desk_handle(client, tenant)
    try:
        described = await handle.describe(rpc_timeout=deadline)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    if described.status != WorkflowExecutionStatus.RUNNING:
        return None
    pollers = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=described.task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        ),
        timeout=deadline,
    )
    if not pollers.pollers:
        raise DeskUnavailable(f"no worker polls task queue {described.task_queue!r}")
    return handle


async def _query(
    handle: WorkflowHandle, deadline: timedelta, name: str, arg: object, result_type: type
) -> Any:
    try:
        args = [] if arg is None else [arg]
        return await handle.query(name, args=args, result_type=result_type, rpc_timeout=deadline)
    except RPCTimeoutOrCancelledError:
        raise DeskUnavailable("the desk did not answer in time") from None
    except WorkflowQueryFailedError as exc:
        raise DeskUnavailable(f"the desk could not answer: {exc.message}") from None
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:  # ended between describe and query
            return TeamQueue(team=str(arg)) if name == QUEUE_QUERY else None
        if exc.status in (
            RPCStatusCode.DEADLINE_EXCEEDED,
            RPCStatusCode.CANCELLED,
            RPCStatusCode.FAILED_PRECONDITION,
        ):
            raise DeskUnavailable("the desk did not answer in time") from None
        raise
