"""A conversation is one thing for its whole life: closes, new threads, continue-as-new.

A customer who writes again after a conversation was closed starts a new thread of the same
conversation: it is acknowledged again, its agent replies are delivered, and nothing the closed
thread saw is taken for new.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.rule_decisions import PackRegistry, RuleActivities
from engine.contracts.conversation import Attachment, Channel, ConversationState, InboundMessage, Party
from engine.contracts.decisions import DecideRequest, DecideResult
from engine.db.packs import PackStore
from engine.rules.pack import RulePack
from engine.rules.validation import validate
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.pack_files import load_source, load_valid
from engine.service.worker import build_worker
from tests.api_client import ApiClient
from tests.conftest import TEST_PACKS, publish, serve_api
from tests.outbox_rows import OutboxRows
from tests.polling import eventually
from tests.replay import replay_every_run
from tests.test_lifecycle import PACKS, sent, set_status, state
from workflows.conversation.rule_context import build_context
from workflows.conversation.workflow import ConversationWorkflow


async def agent_reply(api: ApiClient, conversation: str, message_id: str, text: str) -> dict:
    answer = await api.request(
        "POST",
        f"/v1/conversations/{conversation}/replies",
        json={"agent_id": "agent-1", "text": text, "message_id": message_id},
    )
    assert answer.status == 200, answer.body
    return answer.body


def matched(decision: dict) -> list[str]:
    return [r["id"] for r in decision["rules"] if r["outcome"] == "matched"]


def delivered_texts(outbox: OutboxRows, conversation_wf: str) -> Counter[str]:
    return Counter(m["text"] for m in sent(outbox) if m["conversation_id"] == conversation_wf)


async def test_a_new_thread_after_close_is_acknowledged_and_its_replies_delivered(
    api: ApiClient, outbox: OutboxRows, worker: None
) -> None:
    first = await api.post_message("t-1", "m-1", "my invoice is wrong")
    await agent_reply(api, "t-1", "r-1", "first answer")
    await set_status(api, "t-1", "closed")
    again = await api.post_message("t-1", "m-2", "and now my refund is missing")
    await agent_reply(api, "t-1", "r-2", "second answer")

    acks = [m for m in sent(outbox, "auto_reply") if m["template"] == "acknowledgement"]
    assert len(acks) == 2, "each thread is acknowledged once"
    texts = delivered_texts(outbox, api.workflow_id("t-1"))
    assert texts["first answer"] == 1 and texts["second answer"] == 1
    keys = [m["idempotency_key"] for m in sent(outbox)]
    assert len(keys) == len(set(keys))
    assert first.status == 201 and first.body["thread"] == 1
    assert again.status == 200, again.body
    assert again.body["thread"] == 2 and again.body["created"] is False and again.body["status"] == "open"
    conversation = await state(api, "t-1")
    assert conversation["thread"] == 2 and conversation["customer_messages"] == 1


async def test_a_message_the_closed_thread_saw_is_a_duplicate(
    api: ApiClient, outbox: OutboxRows, worker: None
) -> None:
    await api.post_message("t-2", "m-1", "hello")
    await set_status(api, "t-2", "closed")
    redelivered = await api.post_message("t-2", "m-1", "hello")
    assert redelivered.status == 200 and redelivered.body["duplicate"] is True
    conversation = await state(api, "t-2")
    assert conversation["status"] == "closed" and conversation["thread"] == 1
    assert len(sent(outbox, "auto_reply")) == 1
    # Once thread 2 began, a repeat of thread 1's message names thread 1, where its seq is: it named
    # the thread under way.
    again = await api.post_message("t-2", "m-2", "hello again")
    late = await api.post_message("t-2", "m-1", "hello")
    assert again.body["thread"] == 2 and late.body["duplicate"] is True, (again.body, late.body)
    assert (late.body["seq"], late.body["thread"]) == (redelivered.body["seq"], 1), late.body


async def test_the_list_has_one_row_per_conversation_with_its_current_status(
    api: ApiClient, worker: None
) -> None:
    await api.post_message("t-3", "m-1", "hello")
    await set_status(api, "t-3", "closed")
    await api.post_message("t-3", "m-2", "hello again")
    await api.post_message("t-4", "m-1", "another customer")
    listed: list[dict] = []

    async def both_visible() -> bool:  # the list is Temporal visibility: it may lag a moment
        nonlocal listed
        answer = await api.request("GET", "/v1/conversations")
        assert answer.status == 200
        listed = answer.body["conversations"]
        return {(r["conversation_id"], r["status"]) for r in listed} == {("t-3", "open"), ("t-4", "open")}

    await eventually(both_visible, what="both conversations listed with their current status")
    assert len(listed) == 2, "one row per conversation, not one per run"


async def test_threads_are_listed_and_their_decisions_readable(
    api: ApiClient, client: Client, worker: None
) -> None:
    await api.post_message("t-5", "m-1", "my invoice is wrong")
    first_run = (await client.get_workflow_handle(api.workflow_id("t-5")).describe()).run_id
    await set_status(api, "t-5", "closed")
    await api.post_message("t-5", "m-2", "a new question")

    threads = await api.request("GET", "/v1/conversations/t-5/threads")
    assert threads.status == 200, threads.body
    listed = threads.body["threads"]
    assert [(t["thread"], t["status"]) for t in listed] == [(1, "closed"), (2, "open")]
    assert listed[0]["closed_at"] is not None and listed[1]["closed_at"] is None
    assert listed[0]["run_id"] == first_run

    one = await api.request("GET", "/v1/conversations/t-5/decisions?thread=1")
    two = await api.request("GET", "/v1/conversations/t-5/decisions?thread=2")
    assert one.status == 200 and two.status == 200
    assert {e["thread"] for e in one.body["decisions"]} == {1}
    assert {e["thread"] for e in two.body["decisions"]} == {2}
    # Each thread's seq range holds its own events: thread 1 read 0-7 (and thread 2 7-8), its last
    # seq the one thread 2's first message had taken.
    for listing, entries in ((listed[0], one.body["decisions"]), (listed[1], two.body["decisions"])):
        seqs = [e["seq"] for e in entries]
        assert (listing["first_seq"], listing["last_seq"]) == (min(seqs), max(seqs)), (listing, seqs)
    created = [e for e in one.body["decisions"] if e["event"] == "conversation.created"]
    assert len(created) == 1 and created[0]["message_id"] == "m-1"
    assert any(e["event"] == "conversation.created" for e in two.body["decisions"])
    by_run = await api.request("GET", f"/v1/conversations/t-5/decisions?run_id={first_run}")
    assert by_run.status == 200 and by_run.body["decisions"][0]["message_id"] == "m-1"

    for query, field in (
        ("thread=x", "thread"),
        ("thread=0", "thread"),
        ("thread=%C2%B2", "thread"),  # a superscript two: a digit to str.isdigit, not to int()
        ("run_id=..", "run_id"),
        ("run_id=" + "-" * 36, "run_id"),
        (f"run_id={first_run}%0A", "run_id"),
    ):
        bad = await api.request("GET", f"/v1/conversations/t-5/decisions?{query}")
        assert bad.status == 422 and bad.body["fields"][0]["field"] == field, (query, bad)
    for query in ("thread=7", "run_id=00000000-0000-0000-0000-000000000000", f"run_id={uuid.uuid4()}"):
        missing = await api.request("GET", f"/v1/conversations/t-5/decisions?{query}")
        assert missing.status == 404, (query, missing)


async def test_keys_stay_unique_across_continue_as_new_and_threads(
    settings: Settings, client: Client, tenants: dict[str, str], outbox: OutboxRows, worker: None
) -> None:
    short_runs = settings.model_copy(update={"max_events_per_run": 3})
    async with serve_api(client, short_runs, tenants) as api:
        for thread in range(3):
            await api.post_message("t-6", f"m-{thread}", "hello")
            for i in range(3):
                await agent_reply(api, "t-6", f"r-{thread}-{i}", f"reply {thread}.{i}")
            await set_status(api, "t-6", "closed")
        conversation = await state(api, "t-6")
        # The first run continued as new long ago: its decisions are read from its own history.
        runs = [wf async for wf in client.list_workflows(f"WorkflowId = '{api.workflow_id('t-6')}'")]
        first_run = min(runs, key=lambda wf: wf.start_time).run_id
        early = await api.request("GET", f"/v1/conversations/t-6/decisions?run_id={first_run}")
        assert early.status == 200 and early.body["decisions"][0]["message_id"] == "m-0"
        assert len(early.body["decisions"]) < len(
            (await api.request("GET", "/v1/conversations/t-6/decisions")).body["decisions"]
        )
    assert conversation["thread"] == 3 and conversation["runs"] > 3
    texts = delivered_texts(outbox, api.workflow_id("t-6"))
    assert all(texts[f"reply {t}.{i}"] == 1 for t in range(3) for i in range(3)), texts
    assert len(sent(outbox, "auto_reply")) == 3


async def test_the_language_used_is_recorded(api: ApiClient, outbox: OutboxRows, worker: None) -> None:
    await api.post_message("t-7", "m-1", "hello")
    [ack] = sent(outbox, "auto_reply")
    assert ack["language"] == "en"
    assert (await state(api, "t-7"))["language"] == "en"


async def test_default_pack_acknowledges_after_hours_on_its_office_calendar(
    api: ApiClient, outbox: OutboxRows, settings: Settings, tmp_path: Path, worker: None
) -> None:
    """Today is a bank holiday in the office: whatever the clock says, the office is closed."""
    today = datetime.now(UTC).date()
    holidays = ", ".join(f'"{today + timedelta(days=d)}"' for d in (-1, 0, 1))
    text = (PACKS / "default" / "pack.yaml").read_text()
    regions = '    holiday_regions: ["GB-ENG"]\n'
    assert regions in text
    (tmp_path / "pack").mkdir()
    bank_holidays = text.replace(regions, f"{regions}    holidays: [{holidays}]\n")
    (tmp_path / "pack" / "pack.yaml").write_text(bank_holidays)
    publish(settings, tmp_path / "pack")

    await api.post_message("t-8", "m-1", "Do you ship to Canada?")
    [ack] = sent(outbox, "auto_reply")
    assert ack["template"] == "acknowledgement_after_hours"
    trail = (await api.request("GET", "/v1/conversations/t-8/decisions")).body["decisions"]
    created = next(e for e in trail if e["event"] == "conversation.created")
    assert matched(created["decision"]) == ["acknowledge-after-hours", "standard-sla", "route-general"]


def test_business_hours_at_creation_are_the_packs_named_calendar() -> None:
    """A fixed clock outside office hours (Saturday), through the decide activity the workflow calls."""
    pack = load_valid(PACKS / "default")
    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    state = ConversationState(
        conversation_id="conversation:acme:c-1",
        tenant="acme",
        external_id="c-1",
        channel=Channel.EMAIL,
        customer=Party(address="ada@example.com", name="Ada Lovelace"),
        created_at=saturday,
        updated_at=saturday,
    )
    message = InboundMessage(message_id="m-1", sender=state.customer, text="Do you ship to Canada?")
    calendar = pack.business_hours_calendar(state.team, state.sla.calendar)
    assert calendar == "office"

    class Store:
        async def get(self, digest: str) -> RulePack:
            return pack

        async def active_hash(self, tenant: str) -> str:
            return pack.content_hash

    decide = RuleActivities(PackRegistry(Store())).decide
    request = DecideRequest(
        pack_hash=pack.content_hash,
        context=build_context(state, "conversation.created", saturday, message=message),
        calendar=calendar,
    )
    result = asyncio.run(decide(request))
    assert "acknowledge-after-hours" in matched(result.decision)
    assert result.context["business_hours"]["open"] is False
    monday_nine = "2026-11-30T09:00:00Z"
    assert result.context["business_hours"]["next_open"] == monday_nine


def test_a_pack_with_several_calendars_names_the_one_business_hours_means(tmp_path: Path) -> None:
    text = (PACKS / "default" / "pack.yaml").read_text()
    setting = "  business_hours_calendar: office\n"
    assert setting in text
    (tmp_path / "pack.yaml").write_text(text.replace(setting, ""))
    _, problems = validate(load_source(tmp_path / "pack.yaml"))
    assert [p.path for p in problems] == ["settings.business_hours_calendar"] * 2
    assert "acknowledge-open" in problems[0].message


async def test_poison_values_that_reach_a_workflow_do_not_jam_it(
    api: ApiClient, client: Client, outbox: OutboxRows, worker: None
) -> None:
    """What the API refuses (422) may still reach a workflow by another path (a CRM, an older API)."""
    await api.post_message("t-9", "m-1", "hello")
    handle = client.get_workflow_handle_for(ConversationWorkflow.run, api.workflow_id("t-9"))
    customer = Party(address="ada@example.com")
    huge = Attachment(name="x.bin", size=10**26)
    poison = InboundMessage(message_id="m-2", sender=customer, text="see attachment", attachments=[huge])
    await handle.execute_update(ConversationWorkflow.receive_message, poison)
    naive = InboundMessage(message_id="m-3", sender=customer, text="when?", received_at=datetime(1, 1, 1))
    await handle.execute_update(ConversationWorkflow.receive_message, naive)
    after = await api.post_message("t-9", "m-4", "anyone there?")
    assert after.status == 200 and after.body["duplicate"] is False

    trail = (await api.request("GET", "/v1/conversations/t-9/decisions")).body["decisions"]
    assert all(e["decision"] is not None for e in trail if e["message_id"] in ("m-2", "m-3", "m-4"))
    conversation = await state(api, "t-9")
    assert conversation["customer_messages"] == 4
    assert conversation["last_customer_message_at"] >= conversation["created_at"]


def decide_failing_on_a_word(rules: RuleActivities) -> Callable[[DecideRequest], Awaitable[DecideResult]]:
    """The real decision, except for messages saying "poison": the rules cannot take those."""

    @activity.defn(name="decide")
    async def decide(request: DecideRequest) -> DecideResult:
        if "poison" in (request.context.get("message") or {}).get("text", ""):
            raise ApplicationError(
                "cannot take it (ParseError)", type="UndecidableContext", non_retryable=True
            )
        return await rules.decide(request)

    return decide


async def test_a_failed_decision_is_recorded_and_the_conversation_goes_on(
    api: ApiClient, client: Client, settings: Settings, outbox: OutboxRows, caplog: pytest.LogCaptureFixture
) -> None:
    database = database_of(settings)
    rules = RuleActivities(PackRegistry(PackStore(database)))
    async with build_worker(client, settings, replace=[decide_failing_on_a_word(rules)]):
        await api.post_message("t-11", "m-1", "hello")
        with caplog.at_level(logging.WARNING):
            jammed = await api.post_message("t-11", "m-2", "poison from Ada Lovelace")
        assert jammed.status == 200 and jammed.body["duplicate"] is False
        after = await api.post_message("t-11", "m-3", "anyone there?")
        assert after.status == 200
        trail = (await api.request("GET", "/v1/conversations/t-11/decisions")).body["decisions"]
    await database.dispose()
    [failed] = [e for e in trail if e["message_id"] == "m-2"]
    assert failed["decision"] is None and failed["note"].startswith("decision failed, nothing executed")
    assert [e["decision"] is not None for e in trail if e["message_id"] == "m-3"] == [True]
    logged = [r.getMessage() for r in caplog.records if "decision failed" in r.getMessage()]
    assert logged and not any("Ada" in line or "t-11" in line.split("{")[0] for line in logged)
    await replay_every_run(client, settings.task_queue)


async def test_a_rule_on_the_agents_reply_sends_as_well_as_the_reply(
    api: ApiClient, outbox: OutboxRows, settings: Settings, tmp_path: Path, worker: None
) -> None:
    """The reply and the first action decided on its `message.sent` once shared a key: one was dropped."""
    text = (TEST_PACKS / "basic" / "pack.yaml").read_text()
    rule = (
        "  - id: copy-the-lead\n    on: [message.sent]\n"
        '    then: [{notify: {email: lead@example.com, message: "replied"}}]\n'
    )
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "pack.yaml").write_text(text + rule)
    publish(settings, tmp_path / "pack")
    await api.post_message("t-10", "m-1", "hello")
    await agent_reply(api, "t-10", "r-1", "the answer")
    kinds = Counter(m["kind"] for m in sent(outbox))
    assert kinds == {"auto_reply": 1, "agent_reply": 1, "notification": 1}
