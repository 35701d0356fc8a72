"""Reads of a conversation ask for its state without its trail: a long conversation's trail is most
of its state (280 messages: 408 of 410 KiB), and the query's time grew with it (docs/performance.md
"Session 18"). A worker of the code before has no such query and is asked for the whole state."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from engine.api.auth import SETTINGS_KEY_ID
from engine.api.conversation_calls import current_state
from engine.api.conversation_views import ConversationView, ThreadList
from engine.contracts.conversation import ConversationState
from tests.api_client import ApiClient, api_key
from tests.test_search_attributes import state as a_state
from workflows.conversation.workflow import ConversationWorkflow


async def test_reads_get_the_state_without_its_trail(api: ApiClient, client: Client, worker: None) -> None:
    for i in range(3):
        assert (await api.post_message("reads-1", f"m-{i}", f"message {i}")).status in (200, 201)
    handle = client.get_workflow_handle_for(ConversationWorkflow.run, api.workflow_id("reads-1"))
    whole = await handle.query(ConversationWorkflow.state)
    read = await current_state(handle, timedelta(seconds=10))
    assert len(whole.decisions) >= 3 and read.decisions == []
    assert read == whole.model_copy(update={"decisions": []})
    shown = (await api.get("reads-1")).body
    assert shown == ConversationView.of(whole).model_dump(mode="json")
    threads = (await api.request("GET", "/v1/conversations/reads-1/threads")).body
    assert threads == ThreadList.of(whole).model_dump(mode="json")


@workflow.defn(name="ConversationBeforeTheReadQuery")
class ConversationBeforeTheReadQuery:
    """A conversation as a worker of the code before runs it: a `state` query and no other."""

    @workflow.init
    def __init__(self, state: ConversationState) -> None:
        self._state = state

    @workflow.run
    async def run(self, state: ConversationState) -> None:
        await workflow.wait_condition(lambda: False)

    @workflow.query(name="state")
    def state(self) -> ConversationState:
        return self._state


async def test_a_worker_of_the_code_before_is_asked_for_the_whole_state(client: Client) -> None:
    state = a_state()
    queue = f"before-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[ConversationBeforeTheReadQuery],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await client.start_workflow(
            ConversationBeforeTheReadQuery.run, state, id=f"old-{queue}", task_queue=queue
        )
        try:
            assert await current_state(handle, timedelta(seconds=10)) == state
        finally:
            await handle.terminate()


def test_a_survey_scheduled_again_shows_no_earlier_survey_s_instants_or_rating() -> None:
    """A reopened conversation solved again showed its first survey's `sent_at`, `expires_at` and
    rating beside `status: scheduled`: a survey only scheduled looked sent and answered."""
    from engine.api.conversation_views import _survey_view
    from engine.contracts.conversation import SurveyState

    at = datetime(2026, 12, 7, 11, 55, tzinfo=UTC)
    again = SurveyState(status="scheduled", due_at=at, sent_at=at, expires_at=at, rating=5)
    shown = _survey_view(again)
    assert (shown["sent_at"], shown["expires_at"], shown["rating"], shown["earlier_rating"]) == (
        None,
        None,
        None,
        5,
    )
    answered = _survey_view(again.model_copy(update={"status": "completed", "rating": 2}))
    assert (answered["rating"], answered["earlier_rating"], answered["sent_at"]) == (
        2,
        None,
        "2026-12-07T11:55:00Z",
    )


async def test_answers_naming_the_customer_tell_caches_to_keep_nothing(api: ApiClient, worker: None) -> None:
    """A conversation's answer names the customer and quotes what the rules read: without
    `Cache-Control` a browser or a proxy between an integrator and us could keep it."""
    assert (await api.post_message("cache-1", "m-1", "my IBAN is DE89370400440532013000")).status == 201
    for path in ("", "/decisions", "/threads"):
        read = await api.request("GET", f"/v1/conversations/cache-1{path}")
        assert read.status == 200 and read.headers.get("Cache-Control") == "no-store", (path, read.headers)
    listed = await api.request("GET", "/v1/conversations")
    assert listed.headers.get("Cache-Control") == "no-store"
    document = await api.request("GET", "/v1/openapi.json")  # the same for everyone: cacheable
    assert document.status == 200 and "Cache-Control" not in document.headers


async def test_each_read_of_a_customer_s_data_names_the_key_that_read_it(
    api: ApiClient, worker: None, caplog: pytest.LogCaptureFixture
) -> None:
    """A data-protection officer asking who read a conversation found nothing: the API keeps no
    access log. Each read that shows personal data is one line naming the key, not what it read."""
    caplog.set_level(logging.INFO, logger="convoflow.access")
    text = "my IBAN is DE89370400440532013000"
    assert (await api.post_message("seen-1", "m-1", text, sender="zyxwv@example.org")).status == 201
    for path in ("", "/decisions"):
        assert (await api.request("GET", f"/v1/conversations/seen-1{path}")).status == 200
    assert (await api.request("GET", "/v1/conversations")).status == 200  # a list names no customer
    reads = [r.getMessage() for r in caplog.records if r.name == "convoflow.access"]
    tenant = api.tenants["acme"]
    # A key of the settings is named by its place among the tenant's: each its own (all read
    # `settings` alike: helper-121), and nothing of the key's hash (a weak key guessed offline).
    assert api_key(tenant)[:6] not in caplog.text
    who = f"by key {SETTINGS_KEY_ID}-1 (admin, tenant {tenant})"
    assert reads == [
        f"read /v1/conversations/{{conversation_id}} seen-1 {who}",
        f"read /v1/conversations/{{conversation_id}}/decisions seen-1 {who}",
    ]
    assert "DE89" not in caplog.text and "zyxwv" not in caplog.text
