"""A conversation's first slice end to end: HTTP API -> real Temporal server -> worker -> outbox."""

from __future__ import annotations

import asyncio

from temporalio import activity
from temporalio.api.enums.v1 import PendingWorkflowTaskState
from temporalio.client import Client, WorkflowExecutionStatus

from engine.contracts.outbound import DeliveryResult, OutboundMessage
from engine.service.config import Settings
from engine.service.worker import build_worker
from tests.api_client import ApiClient
from tests.late_sends import delivered_late
from tests.outbox_rows import OutboxRows
from tests.replay import replay_every_run
from workflows.conversation import search_attributes as sa
from workflows.conversation.workflow import ConversationWorkflow


def kinds(outbox: OutboxRows) -> list[str]:
    """What went out: the template name for automatic replies, else the kind."""
    return [m.get("template") or m["kind"] for m in outbox.read_all()]


async def test_first_message_creates_conversation_with_one_acknowledgement(
    api: ApiClient, outbox: OutboxRows, client: Client, worker: None
) -> None:
    reply = await api.post_message("c-100", "m-1")
    assert reply.status == 201
    assert reply.body["created"] is True and reply.body["duplicate"] is False

    sent = outbox.read_all()
    assert kinds(outbox) == ["acknowledgement"]
    assert sent[0]["to"] == "ada@example.com"
    first_run = (await client.get_workflow_handle(api.workflow_id("c-100")).describe()).run_id
    assert sent[0]["idempotency_key"] == f"{api.workflow_id('c-100')}:{first_run}:1:0"

    state = (await api.get("c-100")).body
    assert state["status"] == "open"
    assert state["messages_count"] == 1
    assert state["first_customer_message_at"] is not None
    assert state["first_agent_reply_at"] is None

    described = await client.get_workflow_handle(api.workflow_id("c-100")).describe()
    attrs = described.typed_search_attributes
    assert attrs.get(sa.STATUS) == "open"
    assert attrs.get(sa.CHANNEL) == "email"
    assert attrs.get(sa.TENANT) == api.tenants["acme"]


async def test_second_message_is_not_acknowledged_again(
    api: ApiClient, outbox: OutboxRows, worker: None
) -> None:
    assert (await api.post_message("c-101", "m-1")).status == 201
    second = await api.post_message("c-101", "m-2", "Any news?")
    assert second.status == 200 and second.body["created"] is False
    assert kinds(outbox) == ["acknowledgement"]
    assert (await api.get("c-101")).body["customer_messages"] == 2


async def test_concurrent_first_messages_create_one_conversation(
    api: ApiClient, outbox: OutboxRows, client: Client, settings: Settings, worker: None
) -> None:
    replies = await asyncio.gather(*(api.post_message("c-102", f"m-{i}") for i in range(5)))
    assert sorted(r.status for r in replies) == [200, 200, 200, 200, 201]
    assert kinds(outbox) == ["acknowledgement"]
    runs = [wf async for wf in client.list_workflows(f"TaskQueue = '{settings.task_queue}'")]
    assert [wf.id for wf in runs] == [api.workflow_id("c-102")]
    assert (await api.get("c-102")).body["customer_messages"] == 5


async def test_same_inbound_message_id_twice_has_one_effect(
    api: ApiClient, outbox: OutboxRows, worker: None
) -> None:
    first = await api.post_message("c-103", "wamid.ABC")
    again = await api.post_message("c-103", "wamid.ABC")
    assert first.body["duplicate"] is False
    assert again.status == 200 and again.body["duplicate"] is True
    state = (await api.get("c-103")).body
    assert state["customer_messages"] == 1
    assert kinds(outbox) == ["acknowledgement"]


async def test_agent_reply_is_delivered_and_timestamped(
    api: ApiClient, outbox: OutboxRows, worker: None
) -> None:
    await api.post_message("c-104", "m-1")
    reply = await api.request(
        "POST",
        "/v1/conversations/c-104/replies",
        json={"agent_id": "agent-7", "text": "We refunded the invoice.", "message_id": "r-1"},
    )
    assert reply.status == 200 and reply.body["duplicate"] is False
    repeat = await api.request(
        "POST",
        "/v1/conversations/c-104/replies",
        json={"agent_id": "agent-7", "text": "We refunded the invoice.", "message_id": "r-1"},
    )
    assert repeat.body["duplicate"] is True
    assert kinds(outbox) == ["acknowledgement", "agent_reply"]
    assert outbox.read_all()[1]["text"] == "We refunded the invoice."
    state = (await api.get("c-104")).body
    assert state["agent_messages"] == 1 and state["first_agent_reply_at"] is not None


async def test_status_changes_and_closed_conversation_refuses_events(
    api: ApiClient, client: Client, worker: None
) -> None:
    await api.post_message("c-105", "m-1")
    for status in ("pending", "solved", "closed"):
        reply = await api.request("POST", "/v1/conversations/c-105/status", json={"status": status})
        assert reply.status == 200 and reply.body["status"] == status
    async with asyncio.timeout(10):  # the list is Temporal visibility: it may lag a moment
        while True:
            listed = await api.request("GET", "/v1/conversations?status=closed")
            if "c-105" in [c["conversation_id"] for c in listed.body["conversations"]]:
                break
            await asyncio.sleep(0.05)
    refused = await api.request(
        "POST",
        "/v1/conversations/c-105/replies",
        json={"agent_id": "a", "text": "late", "message_id": "r-late"},
    )
    assert refused.status == 409 and refused.body["error"] == "conversation_closed"
    handle = client.get_workflow_handle_for(ConversationWorkflow.run, api.workflow_id("c-105"))
    # The workflow waits for a next thread (tests/test_threads.py) instead of ending.
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    assert (await handle.query(ConversationWorkflow.state)).status == "closed"


async def test_retried_activity_writes_its_message_once(
    api: ApiClient, outbox: OutboxRows, client: Client, settings: Settings
) -> None:
    attempts: list[int] = []

    @activity.defn(name="deliver_message")
    def deliver_then_crash_once(message: OutboundMessage) -> DeliveryResult:
        """The real outbox, but the first attempt dies after writing, before reporting success."""
        attempts.append(activity.info().attempt)
        result = outbox.deliver(message)
        if activity.info().attempt == 1:
            raise RuntimeError("worker lost its connection after the write")
        return result

    async with build_worker(client, settings, replace=[deliver_then_crash_once]):
        reply = await api.post_message("c-106", "m-1")
        assert reply.status == 201
        await delivered_late(api, "c-106")  # the local attempt failed: the activity went on after the answer
    assert attempts == [1, 1, 2]  # the one local attempt, then the delivery activity's two
    assert kinds(OutboxRows(settings)) == ["acknowledgement"]
    await replay_every_run(client, settings.task_queue)


async def test_conversation_survives_worker_restart(
    api: ApiClient, outbox: OutboxRows, client: Client, settings: Settings
) -> None:
    async with build_worker(client, settings):
        assert (await api.post_message("c-107", "m-1")).status == 201

    # No worker now: the API call waits for one, and nothing is lost meanwhile.
    pending = asyncio.create_task(api.post_message("c-107", "m-2", "Still there?"))
    handle = client.get_workflow_handle(api.workflow_id("c-107"))

    async def task_waits_for_a_worker() -> bool:
        """Temporal has the message: it scheduled a workflow task that no worker has started."""
        described = (await handle.describe()).raw_description
        task = described.pending_workflow_task
        scheduled = PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED
        return described.HasField("pending_workflow_task") and task.state == scheduled

    async with asyncio.timeout(10):
        while not await task_waits_for_a_worker():  # noqa: ASYNC110 - polling the server
            await asyncio.sleep(0.05)
    assert not pending.done()

    async with build_worker(client, settings):
        reply = await pending
        assert reply.status == 200 and reply.body["duplicate"] is False
        state = (await api.get("c-107")).body
    assert state["customer_messages"] == 2
    assert kinds(outbox) == ["acknowledgement"]
    assert await replay_every_run(client, settings.task_queue) == 1
