"""Deleting a conversation's runs from Temporal, and knowing when they are gone.

Temporal deletes a run a moment after it is asked to (`DeleteWorkflowExecution` answers first):
until then its worker may still take a message and write rows. Whoever deletes rows after the runs
(a data subject's erasure, the retention sweep) waits until the runs are gone, and learns whether a
message began the conversation anew meanwhile.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from engine.contracts.conversation import conversation_workflow_id
from engine.service.audit_bundle import ConversationNotFound, run_ids

GONE_WITHIN = timedelta(seconds=60)  # how long Temporal is given to delete a run it was asked to


async def runs_of(client: Client, tenant: str, conversation: str) -> list[str]:
    try:
        return await run_ids(client, conversation_workflow_id(tenant, conversation))
    except ConversationNotFound:
        return []
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:  # a run deleted while its chain was read (another erasure)
            return []
        raise


async def delete_run(client: Client, workflow_id: str, run_id: str) -> bool:
    """Ask Temporal to delete one run; False when it had gone already (its retention, a retry)."""
    request = DeleteWorkflowExecutionRequest(
        namespace=client.namespace,
        workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
    )
    try:
        await client.workflow_service.delete_workflow_execution(request)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        return False
    return True


async def delete_runs(client: Client, tenant: str, conversation: str) -> int:
    """Every run of the conversation's workflow deleted; the number of runs it had."""
    workflow_id = conversation_workflow_id(tenant, conversation)
    runs = await runs_of(client, tenant, conversation)
    for run_id in runs:
        await delete_run(client, workflow_id, run_id)
    return len(runs)


async def gone_or_begun(client: Client, tenant: str, conversation: str, began: datetime) -> bool:
    """Waits until Temporal no longer has the conversation's deleted runs; True when it has one that
    a message began after the erasure began."""
    handle = client.get_workflow_handle(conversation_workflow_id(tenant, conversation))
    async with asyncio.timeout(GONE_WITHIN.total_seconds()):
        while True:
            try:
                started = (await handle.describe()).start_time
            except RPCError as exc:
                if exc.status == RPCStatusCode.NOT_FOUND:
                    return False
                raise
            if started is not None and started > began:
                return True
            await asyncio.sleep(0.2)
