"""Retention (engine/service/retention.py): a tenant's conversations closed and idle longer than it
keeps them are deleted, from Temporal and the database; an open one, or one active since, is not.

A closed conversation's workflow waited for ever and its rows stayed with it: nothing could keep a
conversation for a fixed time. A run is never deleted while it could still take a message: it is
asked to end first (the `retire` update), and refuses when anything happened since."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from engine.contracts.conversation import Channel, ConversationState, InboundMessage, Party, Status
from engine.contracts.retirement import RETIRE_UPDATE, Retirement
from engine.db.erasure import kpis_erased
from engine.db.schema import customer_conversations, erasures, kpi_facts, outbox
from engine.service import retention
from engine.service.config import Settings
from engine.service.database import database_of
from tests.api_client import ApiClient
from tests.cli_run import cli
from tests.conftest import TEST_PACKS, build_worker, publish, serve_api
from tests.outbox_rows import OutboxRows
from tests.polling import eventually
from tests.replay import assert_replays
from tests.test_customer_requests import gone, rows
from tests.test_survey_replies import surveyed
from workflows.conversation.workflow import ConversationWorkflow


async def expired_now(client: Client, settings: Settings, tenant: str) -> list[str]:
    database = database_of(settings)
    try:
        return await retention.expired(client, database, tenant, datetime.now(UTC))
    finally:
        await database.dispose()


async def closed(api: ApiClient, conversation: str, tenant: str = "acme") -> None:
    assert (await api.post_message(conversation, "m-1", "Hello", tenant=tenant)).status == 201
    reply = {"agent_id": "ana", "text": "Done", "message_id": f"r-{conversation}"}
    path = f"/v1/conversations/{conversation}"
    assert (await api.request("POST", f"{path}/replies", json=reply, tenant=tenant)).status == 200
    done = await api.request("POST", f"{path}/status", json={"status": "closed"}, tenant=tenant)
    assert done.status == 200, done.body


async def test_closed_conversations_past_the_keep_time_are_deleted_and_no_other(
    client: Client, shell: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = tenants["acme"]
    async with build_worker(client, shell), serve_api(client, shell, tenants) as api:
        await closed(api, "old-1")
        assert (await api.post_message("open-1", "m-1", "Still waiting")).status == 201

        async def listed() -> bool:
            return await expired_now(client, shell, tenant) == ["old-1"]

        await eventually(listed, "old-1 listed as closed")
        dry = await cli(capsys, "retention", "sweep", "--tenant", tenant, "--keep-days", "0")
        assert dry.returncode == 2 and json.loads(dry.stdout)["would_delete"] == ["old-1"], dry
        assert (await api.get("old-1")).status == 200
        kept = await cli(capsys, "retention", "sweep", "--tenant", tenant, "--keep-days", "30", "--yes")
        assert kept.returncode == 0 and json.loads(kept.stdout)["record"] is None, kept

        swept = await cli(capsys, "retention", "sweep", "--tenant", tenant, "--keep-days", "0", "--yes")
        assert swept.returncode == 0, swept.stderr
        record = json.loads(swept.stdout)["record"]
        assert record["conversations"] == ["old-1"] and record["removed"]["temporal_runs"] >= 1
        assert record["actor"].startswith("retention: closed, no activity since")
        # Run again at once, while Temporal still lists the ended run: nothing is taken twice.
        again = await cli(capsys, "retention", "sweep", "--tenant", tenant, "--keep-days", "0", "--yes")
        assert again.returncode == 0 and json.loads(again.stdout)["record"] is None, again
        # Temporal deletes a run that ended moments ago once its close is acknowledged (~30 s).
        await eventually(lambda: gone(client, api.workflow_id("old-1")), "old-1 deleted", within=90)
        assert (await api.get("old-1")).status == 404
        assert (await api.get("open-1")).status == 200
        await assert_replays(client, api.workflow_id("open-1"))

        # The customer writes again: a new conversation under the same id.
        again = await api.post_message("old-1", "m-2", "Me again")
        assert again.status == 201 and again.body["created"] is True, again.body

    assert await rows(shell, outbox, conversation_id=f"conversation:{tenant}:old-1") == 1  # the new ack
    assert await rows(shell, customer_conversations, conversation_id="old-1") == 1  # the new one
    assert await rows(shell, kpi_facts, conversation_id="old-1") > 0  # timings kept, nothing written
    assert await rows(shell, erasures, tenant=tenant) == 1
    assert record["kept"] == ["kpi_facts", "kpi_threads"]
    database = database_of(shell)
    try:  # a rebuild of the KPIs may bring back what a sweep kept (a customer's erasure: not)
        assert await kpis_erased(database, tenant) == {}
    finally:
        await database.dispose()


async def test_a_conversation_refuses_to_end_while_open_or_active_since(
    client: Client, shell: Settings, tenants: dict[str, str]
) -> None:
    """The sweep's guard against deleting a message taken an instant before: the workflow itself
    refuses, its updates taken one at a time."""
    async with build_worker(client, shell), serve_api(client, shell, tenants) as api:
        assert (await api.post_message("open-2", "m-1", "Hello")).status == 201
        await closed(api, "closed-2")
        open_handle = client.get_workflow_handle(api.workflow_id("open-2"))
        closed_handle = client.get_workflow_handle(api.workflow_id("closed-2"))
        earlier = Retirement(idle_before=datetime(2026, 1, 1, tzinfo=UTC))
        now = Retirement(idle_before=datetime.now(UTC))
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await open_handle.execute_update(RETIRE_UPDATE, now)
        assert "not retired: it is open" in str(refused.value.cause)
        with pytest.raises(WorkflowUpdateFailedError) as active:
            await closed_handle.execute_update(RETIRE_UPDATE, earlier)
        assert "active since" in str(active.value.cause)

        await closed_handle.execute_update(RETIRE_UPDATE, now)
        assert (await closed_handle.describe()).status == WorkflowExecutionStatus.COMPLETED
        shown = await api.get("closed-2")
        assert shown.status == 200 and shown.body["status"] == "closed"
        await assert_replays(client, api.workflow_id("closed-2"))
        await assert_replays(client, api.workflow_id("open-2"))


def test_a_message_that_comes_with_the_end_is_taken_not_refused() -> None:
    """The sweep's `retire` and a customer's message can reach the run in one task, `retire` first:
    the message's validator saw a conversation closed for good and refused it, a final 409, and the
    customer's words were lost (helper-115). It is taken: it begins the next thread, the run goes on
    (`_closed_for_good` no longer holds once the thread is open). A run of the old behaviour, which
    ends at the close, still refuses."""
    run = ConversationWorkflow.__new__(ConversationWorkflow)  # the validator reads state, no clock
    now = datetime.now(UTC)
    run._state = ConversationState(
        conversation_id="conversation:acme:late-1",
        tenant="acme",
        external_id="late-1",
        channel=Channel.EMAIL,
        customer=Party(address="ada@example.com"),
        created_at=now,
        updated_at=now,
        status=Status.CLOSED,
    )
    run._seen, run._threads_on, run._retired = {}, True, True
    message = InboundMessage(
        message_id="m-2", channel=Channel.EMAIL, sender=Party(address="ada@example.com"), text="Again"
    )
    run._validate_receive_message(message)  # taken
    run._threads_on, run._retired = False, False
    with pytest.raises(ApplicationError, match="closed"):
        run._validate_receive_message(message)


async def test_a_sweep_no_worker_answers_refuses_and_deletes_nothing(
    client: Client, shell: Settings, tenants: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no worker the first conversation's `retire` timed out with an error nobody caught: the
    sweep died with a traceback (helper-115). Each is refused; after three in a row it stops asking."""
    tenant = tenants["acme"]
    async with build_worker(client, shell), serve_api(client, shell, tenants) as api:
        for n in range(4):
            await closed(api, f"nw-{n}")

        async def listed() -> bool:
            return len(await expired_now(client, shell, tenant)) == 4

        await eventually(listed, "four closed conversations listed")
    monkeypatch.setattr(retention, "RETIRE_DEADLINE", timedelta(seconds=1))
    database = database_of(shell)
    try:
        outcome = await retention.sweep(client, database, shell, tenant, 0)
    finally:
        await database.dispose()
    assert outcome.record is None and len(outcome.refused) == retention.NO_WORKER_GIVE_UP == 3, outcome
    assert set(outcome.refused.values()) == {retention.NO_WORKER}  # the fourth was not asked
    assert await rows(shell, customer_conversations, conversation_id="nw-0") == 1


async def test_a_conversation_that_refuses_takes_no_place_of_the_limit(
    client: Client, shell: Settings, tenants: dict[str, str], outbox: OutboxRows
) -> None:
    """A closed conversation whose survey still waits for its answer refuses to end, every day: it
    took a place of every sweep, and `--limit 1` ended nothing, for ever (helper-116)."""
    publish(shell, TEST_PACKS / "timers")  # the survey goes out seconds after the solve
    tenant = tenants["acme"]
    async with build_worker(client, shell), serve_api(client, shell, tenants) as api:
        await closed(api, "plain-1")
        await surveyed(api, outbox, "waits-1")  # started after plain-1: listed first
        done = await api.request("POST", "/v1/conversations/waits-1/status", json={"status": "closed"})
        assert done.status == 200, done.body

        async def listed() -> bool:
            return sorted(await expired_now(client, shell, tenant)) == ["plain-1", "waits-1"]

        await eventually(listed, "both closed conversations listed")
        database = database_of(shell)
        try:
            outcome = await retention.sweep(client, database, shell, tenant, 0, limit=1)
        finally:
            await database.dispose()
    assert outcome.record is not None and outcome.record["conversations"] == ["plain-1"], outcome
    assert list(outcome.refused) == ["waits-1"], outcome  # listed first (newest first), asked, refused
    assert "still waits" in outcome.refused["waits-1"]
