"""Opening a conversation straight through Temporal (update-with-start of its first message), as the
API does: the benchmarks that measure the worker, the server or timers skip the HTTP hop. The
baselines open `BareConversation` the same way."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from bench import stack
from bench.bare_workflow import BareConversation
from engine.contracts.conversation import ConversationStart, EventReceipt, InboundMessage, Party
from engine.service.config import Settings
from workflows.conversation.workflow import ConversationWorkflow


async def first_message(
    client: Client, settings: Settings, pack_hash: str, name: str, *, decided: bool = False
) -> EventReceipt:
    """Open conversation `name` of the bench tenant with one customer message, answered when recorded
    (or, `decided`, once handled); its workflow id is `workflow_id(name)`."""
    start = WithStartWorkflowOperation(
        ConversationWorkflow.run,
        ConversationStart(
            tenant=stack.TENANT,
            external_id=name,
            channel="email",
            customer=Party(address="ada@example.com", name="Ada Lovelace"),
            pack_hash=pack_hash,
        ),
        id=workflow_id(name),
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    update = ConversationWorkflow.receive_message_decided if decided else ConversationWorkflow.receive_message
    return await client.execute_update_with_start_workflow(
        update,
        InboundMessage(message_id="m-1", sender=Party(address="ada@example.com"), text="My invoice is wrong"),
        start_workflow_operation=start,
    )


def workflow_id(name: str) -> str:
    return f"conversation:{stack.TENANT}:{name}"


async def bare_first_message(
    client: Client, workflow_id: str, task_queue: str, text: str = "hello"
) -> WorkflowHandle[Any, Any]:
    """The baselines' first message: update-with-start of a `BareConversation`, as a conversation's is."""
    start = WithStartWorkflowOperation(
        BareConversation.run,
        id=workflow_id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    await client.execute_update_with_start_workflow(
        BareConversation.receive, text, start_workflow_operation=start
    )
    return await start.workflow_handle()
