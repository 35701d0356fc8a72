"""A customer message is answered when the conversation has recorded it; its rules follow (issue 15).

The receipt says what recording decides (new or duplicate, seq, thread; status `open`, before the
rules); what the rules did is read afterwards (the trail, GET, the outbox), or the caller asks for
`?wait=decided`. The queue of recorded messages keeps order and exactly-once: one at a time in seq
order, one acknowledgement, nothing lost across continue-as-new, a poison message does not block.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import Client

from engine.service.config import Settings
from tests.api_client import ApiClient, trail
from tests.conftest import serve_api
from tests.outbox_rows import OutboxRows
from tests.polling import eventually
from tests.test_lifecycle import set_status
from workflows.conversation.workflow import ConversationWorkflow


async def handled(api: ApiClient, conversation: str, *message_ids: str) -> list[dict[str, Any]]:
    """The trail once every message named has its `message.received` entry (polled)."""
    entries: list[dict[str, Any]] = []

    async def all_there() -> bool:
        nonlocal entries
        entries = await trail(api, conversation)
        done = {e["message_id"] for e in entries if e["event"] == "message.received"}
        return done >= set(message_ids)

    await eventually(all_there, f"{conversation}: {message_ids} handled")
    return entries


async def test_the_receipt_comes_when_recorded_and_the_rules_follow(
    api: ApiClient, outbox: OutboxRows, worker: None
) -> None:
    reply = await api.post_message("r-1", "m-1", wait=None)
    assert reply.status == 201
    assert reply.body == {
        "conversation_id": "r-1",
        "seq": 1,
        "duplicate": False,
        "created": True,
        "status": "open",
        "thread": 1,
    }
    entries = await handled(api, "r-1", "m-1")
    # The receipt's seq is the first entry the message led to; every entry carries its id.
    assert [(e["seq"], e["event"]) for e in entries][:1] == [(1, "conversation.created")]
    assert all(e["message_id"] == "m-1" for e in entries if e["event"] in ("conversation.created",))
    await eventually(lambda: _async(len(outbox.read_all()) == 1), "the acknowledgement sent")
    again = await api.post_message("r-1", "m-1", wait=None)
    assert again.status == 200 and again.body["duplicate"] is True and again.body["seq"] == 1


async def test_wait_decided_answers_after_the_rules(api: ApiClient, outbox: OutboxRows, worker: None) -> None:
    reply = await api.post_message("r-2", "m-1", wait="decided")
    assert reply.status == 201 and reply.body["seq"] == 1
    assert [m["template"] for m in outbox.read_all()] == ["acknowledgement"]  # no polling: it is done
    wrong = await api.post_message("r-2", "m-2", wait="eventually")
    assert wrong.status == 422 and wrong.body["fields"][0]["field"] == "wait"


async def test_messages_at_once_are_handled_one_at_a_time_in_seq_order(
    api: ApiClient, outbox: OutboxRows, worker: None
) -> None:
    assert (await api.post_message("r-3", "m-0", wait=None)).status == 201
    ids = [f"m-{i}" for i in range(1, 7)]
    # Each message twice, all at once: one of each twin is new, the other a duplicate.
    replies = await asyncio.gather(*(api.post_message("r-3", i, wait=None) for i in ids + ids))
    assert all(r.status == 200 for r in replies)
    fresh = {r.body["seq"]: i for r, i in zip(replies, ids + ids, strict=True) if not r.body["duplicate"]}
    assert sorted(fresh.values()) == sorted(ids)
    entries = await handled(api, "r-3", *ids)
    received = [e["message_id"] for e in entries if e["event"] == "message.received"]
    assert received == ["m-0", *(fresh[s] for s in sorted(fresh))]  # handled in the receipts' seq order
    first_entry = {}
    for e in entries:
        first_entry.setdefault(e["message_id"], e["seq"])
    assert all(first_entry[i] == s for s, i in fresh.items())
    assert [m["template"] for m in outbox.read_all()] == ["acknowledgement"]
    assert (await api.get("r-3")).body["customer_messages"] == 7


async def test_a_closed_conversation_takes_a_reply_right_after_the_message_that_reopens_it(
    api: ApiClient, worker: None
) -> None:
    """The message is recorded, not yet handled, when the reply comes: the reply follows it."""
    await api.post_message("r-4", "m-1")
    await set_status(api, "r-4", "closed")
    reply = await api.post_message("r-4", "m-2", "me again", wait=None)
    assert reply.status == 200 and reply.body["thread"] == 2 and reply.body["status"] == "open"
    answer = await api.request(
        "POST", "/v1/conversations/r-4/replies", json={"agent_id": "a-1", "text": "hi", "message_id": "r-1"}
    )
    assert answer.status == 200 and answer.body["thread"] == 2
    entries = await trail(api, "r-4")
    assert [e["thread"] for e in entries if e["message_id"] == "m-2"][:1] == [2]


async def test_messages_during_continue_as_new_are_all_handled_once(
    client: Client, settings: Settings, tenants: dict[str, str], outbox: OutboxRows, worker: None
) -> None:
    """Runs of three events: messages sent back to back cross several continue-as-new."""
    short_runs = settings.model_copy(update={"max_events_per_run": 3})
    async with serve_api(client, short_runs, tenants) as api:
        assert (await api.post_message("r-5", "m-0", wait=None)).status == 201
        ids = [f"m-{i}" for i in range(1, 9)]
        for i in ids:
            reply = await api.post_message("r-5", i, "more", wait=None)
            assert reply.status == 200 and reply.body["duplicate"] is False
        handle = client.get_workflow_handle_for(ConversationWorkflow.run, api.workflow_id("r-5"))

        async def all_handled() -> bool:
            state = await handle.query(ConversationWorkflow.state)
            return state.customer_messages == 9 and not state.inbox

        await eventually(all_handled, "nine messages handled")
        state = await handle.query(ConversationWorkflow.state)
    assert state.runs > 2
    received = [e.message_id for e in state.decisions if e.event == "message.received"]
    assert received == ["m-0", *ids]
    assert [m["template"] for m in outbox.read_all()] == ["acknowledgement"]


async def _async(value: bool) -> bool:
    return value
