"""The conversation lifecycle on a real Temporal server: rules decide, timers keep SLAs, nothing twice.

Timers are seconds long (tests/packs/timers: a 24/7 calendar, 1.8 s first response), and the test
server fires them as `convoflow up`'s does (engine/service/temporal_server.py `TIMER_SHIFT`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client

from engine.calendar import BusinessCalendar
from engine.service.config import Settings
from engine.service.pack_files import load_valid
from tests.api_client import ApiClient, trail
from tests.conftest import TEST_PACKS, publish, serve_api
from tests.outbox_rows import OutboxRows
from tests.pack_texts import pack_text
from tests.polling import eventually
from workflows.conversation import search_attributes as sa

PACKS = Path(__file__).resolve().parent.parent / "rule_packs"


def sent(outbox: OutboxRows, kind: str | None = None) -> list[dict]:
    return [m for m in outbox.read_all() if kind is None or m["kind"] == kind]


async def state(api: ApiClient, conversation: str) -> dict:
    reply = await api.get(conversation)
    assert reply.status == 200, reply.body
    return reply.body


async def set_status(api: ApiClient, conversation: str, status: str) -> dict:
    reply = await api.request("POST", f"/v1/conversations/{conversation}/status", json={"status": status})
    assert reply.status == 200, reply.body
    return reply.body


async def reply(api: ApiClient, conversation: str, text: str = "On it!") -> None:
    answer = await api.request(
        "POST",
        f"/v1/conversations/{conversation}/replies",
        json={"agent_id": "agent-1", "text": text},
        headers={"Idempotency-Key": f"reply-{uuid.uuid4().hex}"},
    )
    assert answer.status == 200, answer.body


# -- rules decide --------------------------------------------------------------------------------


async def test_german_pack_acknowledges_in_german(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    publish(settings, PACKS / "kundenservice")
    await api.post_message("de-1", "m-1", "Meine Rechnung ist falsch, bitte um Gutschrift.")
    acks = sent(outbox, "auto_reply")
    assert len(acks) == 1
    assert acks[0]["text"].startswith("Guten Tag") and acks[0]["language"] == "de"
    conversation = await state(api, "de-1")
    assert conversation["team"] == "kundenservice" and "kundenservice" in conversation["tags"]


async def test_billing_message_is_tagged_routed_and_findable(
    api: ApiClient, client: Client, worker: None
) -> None:
    await api.post_message("bill-1", "m-1", "Please refund my last invoice")
    await api.post_message("gen-1", "m-1", "Do you ship to Canada?")
    billing = await state(api, "bill-1")
    assert billing["team"] == "billing" and billing["tags"] == ["billing"] and billing["priority"] == "high"
    assert (await state(api, "gen-1"))["team"] == "general"
    listed = await api.request("GET", "/v1/conversations?team=billing&priority=high")
    assert [c["conversation_id"] for c in listed.body["conversations"]] == ["bill-1"]
    query = f"ConvoTenant = '{api.tenants['acme']}' AND ConvoTeam = 'billing' AND ConvoTags = 'billing'"
    found = [wf.id async for wf in client.list_workflows(query)]
    assert found == [api.workflow_id("bill-1")]


async def test_a_team_and_a_tag_named_with_spaces_can_be_listed_by(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    # A pack may name a team "Tier 2 Süd": the list's filter took only ids (422), so the console's own
    # team filter failed for it.
    publish(settings, TEST_PACKS / "spaced")
    await api.post_message("sp-1", "m-1", "Hello")
    listed: list[str] = []

    async def found() -> bool:  # the list is Temporal visibility: it may lag a moment
        nonlocal listed
        reply = await api.request("GET", "/v1/conversations?team=Tier%202%20S%C3%BCd&tag=big%20refund")
        assert reply.status == 200, reply.body
        listed = [c["conversation_id"] for c in reply.body["conversations"]]
        return bool(listed)

    await eventually(found, what="the conversation listed by its team and tag")
    assert listed == ["sp-1"]
    quoted = await api.request("GET", "/v1/conversations?team=a%27%20OR%20ConvoTenant%20%3D%20%27x")
    assert quoted.status == 422 and quoted.body["fields"][0]["field"] == "team", quoted.body


async def test_decisions_explain_every_action(api: ApiClient, worker: None) -> None:
    await api.post_message("why-1", "m-1", "My invoice is wrong")
    trail = (await api.request("GET", "/v1/conversations/why-1/decisions")).body["decisions"]
    created = trail[0]
    assert created["event"] == "conversation.created" and created["seq"] == 1
    outcomes = {r["id"]: r["outcome"] for r in created["decision"]["rules"]}
    assert outcomes == {
        "ignore-automated": "not_matched",
        "acknowledge": "matched",
        "billing": "matched",
        "general": "not_reached",
    }
    billing = next(r for r in created["decision"]["rules"] if r["id"] == "billing")
    assert billing["reads"] == {"message.text": "My invoice is wrong"}
    assert [e["action"]["type"] for e in created["executed"]] == [
        "reply",
        "add_tags",
        "route",
        "set_priority",
    ]
    assert created["decision"]["pack_hash"] == (await state(api, "why-1"))["pack_hash"]


async def test_no_auto_reply_to_automated_senders(api: ApiClient, outbox: OutboxRows, worker: None) -> None:
    answer = await api.request(
        "POST",
        "/v1/conversations/ooo-1/messages?wait=decided",
        json={
            "message_id": "m-1",
            "channel": "email",
            "sender": {"address": "jane@example.com"},
            "text": "I am out of office",
            "headers": {"Auto-Submitted": "auto-replied"},
        },
    )
    assert answer.status == 201
    await api.post_message("bounce-1", "m-1", "Delivery failed", sender="mailer-daemon@example.com")
    assert sent(outbox) == []
    assert (await state(api, "ooo-1"))["tags"] == ["automated"]


async def test_one_automatic_acknowledgement_per_window(
    api: ApiClient, outbox: OutboxRows, worker: None
) -> None:
    await api.post_message("win-1", "m-1", "Hello")
    await set_status(api, "win-1", "solved")
    await api.post_message("win-1", "m-2", "Actually, one more thing")  # reopens: the pack acknowledges again
    trail = (await api.request("GET", "/v1/conversations/win-1/decisions")).body["decisions"]
    reopened = next(e for e in trail if e["event"] == "conversation.reopened")
    assert reopened["executed"][0]["outcome"] == "skipped"
    assert "acknowledgement window" in reopened["executed"][0]["detail"]
    assert len(sent(outbox, "auto_reply")) == 1


async def test_loop_is_capped_and_recorded(api: ApiClient, settings: Settings, worker: None) -> None:
    publish(settings, TEST_PACKS / "timers")
    await api.post_message("loop-1", "m-1", "this one loops (slow)")
    await set_status(api, "loop-1", "pending")
    trail = (await api.request("GET", "/v1/conversations/loop-1/decisions")).body["decisions"]
    capped = [e for e in trail if e["note"] and "loop cap" in e["note"]]
    assert len(capped) == 1 and capped[0]["depth"] == 3
    assert capped[0]["note"].startswith(("open -> pending;", "pending -> open;")), (
        capped
    )  # what changed stays
    assert [e["depth"] for e in trail if e["event"] == "status.changed"] == [0, 1, 2, 3]
    assert (await state(api, "loop-1"))["status"] in ("open", "pending")


async def test_pack_published_mid_conversation_does_not_change_it(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    first_hash = publish(settings, TEST_PACKS / "basic")
    await api.post_message("pin-1", "m-1", "hello")
    # Through the API: its process forgets the cached hash at once (test_api_packs: from elsewhere, 5 s).
    published = await api.request(
        "POST", "/v1/rules/publish", json={"pack": pack_text(TEST_PACKS / "timers")}
    )
    assert published.status == 201, published.body
    second_hash = published.body["hash"]
    await api.post_message("pin-1", "m-2", "refund please")
    await api.post_message("pin-2", "m-1", "hello")
    assert (await state(api, "pin-1"))["pack_hash"] == first_hash
    trail = (await api.request("GET", "/v1/conversations/pin-1/decisions")).body["decisions"]
    assert {e["decision"]["pack_hash"] for e in trail if e["decision"]} == {first_hash}
    assert (await state(api, "pin-2"))["pack_hash"] == second_hash


# -- timers --------------------------------------------------------------------------------------


async def test_first_response_breach_escalates_through_two_levels(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    await api.post_message("late-1", "m-1", "help")
    started = (await state(api, "late-1"))["sla"]["targets"]["first_response"]
    started_at, deadline = datetime.fromisoformat(started["started_at"]), started["deadline"]
    assert datetime.fromisoformat(deadline) - started_at == timedelta(minutes=started["target_minutes"])

    async def level_two() -> bool:
        return len(sent(outbox, "notification")) >= 2

    await eventually(level_two, what="escalation level 2")
    notes = [m["text"] for m in sent(outbox, "notification")]
    assert notes == ["breach level 1", "breach level 2"]
    conversation = await state(api, "late-1")
    assert conversation["priority"] == "urgent" and conversation["escalation_level"] == 2
    assert "sla-warning" in conversation["tags"]
    target = conversation["sla"]["targets"]["first_response"]
    assert target["running"] is False and target["met_at"] is None
    assert target["breached_at"] == deadline and target["deadline"] == deadline  # breached at its deadline
    listed = await api.request("GET", "/v1/conversations?sla_breached=true")
    assert [c["conversation_id"] for c in listed.body["conversations"]] == ["late-1"]


async def test_reply_in_time_prevents_breach(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    await api.post_message("quick-1", "m-1", "help")
    targets = (await state(api, "quick-1"))["sla"]["targets"]
    first_response_due = datetime.fromisoformat(targets["first_response"]["deadline"])
    # The resolution clock's warning comes after the first-response deadline: once the workflow has
    # fired it, it has been past that deadline too, and would have breached there.
    assert datetime.fromisoformat(targets["resolution"]["warning_at"]) > first_response_due
    await reply(api, "quick-1")

    async def resolution_warned() -> bool:
        return (await state(api, "quick-1"))["sla"]["targets"]["resolution"]["warned"]

    await eventually(resolution_warned, what="resolution warning after the first-response deadline")
    conversation = await state(api, "quick-1")
    assert conversation["sla"]["breached"] is False
    first_response = conversation["sla"]["targets"]["first_response"]
    assert first_response["breached_at"] is None
    assert datetime.fromisoformat(first_response["met_at"]) < first_response_due
    assert sent(outbox, "notification") == []


async def test_pending_pauses_the_clock_by_exactly_the_paused_time(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    await api.post_message("pause-1", "m-1", "help (slow)")  # 60 min target: no breach during the test
    before = (await state(api, "pause-1"))["sla"]["targets"]["first_response"]
    await set_status(api, "pause-1", "pending")
    paused = (await state(api, "pause-1"))["sla"]["targets"]["first_response"]
    assert paused["running"] is False and paused["deadline"] is None

    async def idle_fired() -> bool:  # the idle reminder: time has passed while the clock was paused
        trail = (await api.request("GET", "/v1/conversations/pause-1/decisions")).body["decisions"]
        return any(e["event"] == "conversation.idle" for e in trail)

    await eventually(idle_fired, what="idle reminder while pending")
    await set_status(api, "pause-1", "open")
    after = (await state(api, "pause-1"))["sla"]["targets"]["first_response"]
    trail = (await api.request("GET", "/v1/conversations/pause-1/decisions")).body["decisions"]
    idle_at = datetime.fromisoformat(next(e["at"] for e in trail if e["event"] == "conversation.idle"))
    moved = datetime.fromisoformat(after["deadline"]) - datetime.fromisoformat(before["deadline"])
    paused_for = datetime.fromisoformat(after["started_at"]) - datetime.fromisoformat(paused["paused_at"])
    assert moved == paused_for
    assert moved > idle_at - datetime.fromisoformat(paused["paused_at"]) > timedelta(0)


async def test_policy_change_moves_the_deadline(api: ApiClient, settings: Settings, worker: None) -> None:
    publish(settings, TEST_PACKS / "timers")
    await api.post_message("up-1", "m-1", "slow please")
    slow = (await state(api, "up-1"))["sla"]
    await api.post_message("up-1", "m-2", "I am a vip")
    fast = (await state(api, "up-1"))["sla"]
    assert slow["policy"] == "slow" and fast["policy"] == "fast"
    slow_due = datetime.fromisoformat(slow["targets"]["first_response"]["deadline"])
    fast_due = datetime.fromisoformat(fast["targets"]["first_response"]["deadline"])
    assert (slow_due - fast_due).total_seconds() > 3000


async def test_survey_after_delay_and_its_answer(
    api: ApiClient, outbox: OutboxRows, settings: Settings, client: Client, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    await api.post_message("srv-1", "m-1", "help (slow)")
    await reply(api, "srv-1")
    await set_status(api, "srv-1", "solved")
    assert sent(outbox, "survey") == []

    async def surveyed() -> bool:  # delivered, and recorded as sent (the outbox is written first)
        return len(sent(outbox, "survey")) == 1 and (await state(api, "srv-1"))["survey"]["status"] == "sent"

    await eventually(surveyed, what="survey sent")
    answer = await api.request("POST", "/v1/conversations/srv-1/survey", json={"rating": 2})
    assert answer.status == 200
    conversation = await state(api, "srv-1")
    assert conversation["survey"]["status"] == "completed" and conversation["survey"]["rating"] == 2
    again = await api.request("POST", "/v1/conversations/srv-1/survey", json={"rating": 5})
    assert again.status == 409 and again.body["error"] == "no_survey"
    bad = await api.request("POST", "/v1/conversations/srv-1/survey", json={"rating": 9})
    assert bad.status == 422 and bad.body["fields"][0]["field"] == "rating"
    described = await client.get_workflow_handle(api.workflow_id("srv-1")).describe()
    assert described.typed_search_attributes.get(sa.CSAT) == 2
    # Reopened, solved again: the next survey has no answer yet (it showed the first one's 2).
    assert (await api.post_message("srv-1", "m-2", "it broke again (slow)")).status == 200
    await set_status(api, "srv-1", "solved")

    async def surveyed_again() -> bool:
        return len(sent(outbox, "survey")) == 2 and (await state(api, "srv-1"))["survey"]["status"] == "sent"

    await eventually(surveyed_again, what="the second survey sent")
    survey = (await state(api, "srv-1"))["survey"]
    assert survey["rating"] is None and survey["earlier_rating"] == 2, survey


async def test_no_survey_when_reopened_and_reopen_within_window(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    await api.post_message("re-1", "m-1", "help")  # the fast SLA: reopening restarts its resolution clock
    await set_status(api, "re-1", "solved")
    back = await api.post_message("re-1", "m-2", "it broke again")
    assert back.status == 200 and back.body["status"] == "open"
    reopened = await state(api, "re-1")
    survey_due = datetime.fromisoformat(reopened["survey"]["due_at"])
    # Reopening cancels the survey's timer, so nothing marks the moment it was due. The restarted
    # resolution clock warns later: once the workflow has fired that, it has been past the survey's time.
    assert datetime.fromisoformat(reopened["sla"]["targets"]["resolution"]["warning_at"]) > survey_due

    async def resolution_warned() -> bool:
        return (await state(api, "re-1"))["sla"]["targets"]["resolution"]["warned"]

    await eventually(resolution_warned, what="resolution warning after the survey was due")
    conversation = await state(api, "re-1")
    assert conversation["reopened"] == 1 and "reopened" in conversation["tags"]
    assert conversation["survey"]["status"] == "skipped"
    assert sent(outbox, "survey") == []


async def test_after_the_reopen_window_a_message_begins_a_new_thread(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    await api.post_message("old-1", "m-1", "help (slow)")
    await set_status(api, "old-1", "solved")

    async def closed() -> bool:
        return (await state(api, "old-1"))["status"] == "closed"

    await eventually(closed, what="auto-close after the reopen window")
    again = await api.post_message("old-1", "m-2", "new problem")
    assert again.status == 200 and again.body["created"] is False and again.body["thread"] == 2
    conversation = await state(api, "old-1")
    assert conversation["status"] == "open" and conversation["customer_messages"] == 1
    assert conversation["reopened"] == 0, "a new thread is not a reopen of the closed one"
    assert len([m for m in sent(outbox, "auto_reply") if m["template"] == "acknowledgement"]) == 2


async def test_idle_pending_conversation_is_reminded_then_closed(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    await api.post_message("idle-1", "m-1", "help (slow)")
    await reply(api, "idle-1", "Can you send a screenshot?")
    await set_status(api, "idle-1", "pending")

    async def closed() -> bool:
        return (await state(api, "idle-1"))["status"] == "closed"

    await eventually(closed, what="idle auto-close")
    assert [m["template"] for m in sent(outbox, "auto_reply")] == ["acknowledgement", "reminder"]
    trail = (await api.request("GET", "/v1/conversations/idle-1/decisions")).body["decisions"]
    assert any(e["note"] == "closed: no customer reply while pending" for e in trail)


async def test_customer_reply_wakes_a_pending_conversation(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    idle_reminder = timedelta(minutes=load_valid(TEST_PACKS / "timers").settings.idle_reminder_minutes)
    await api.post_message("wake-1", "m-1", "help")  # the fast SLA's events are our clock
    await set_status(api, "wake-1", "pending")
    back = await api.post_message("wake-1", "m-2", "here is the screenshot")
    assert back.body["status"] == "open"
    trail: list[dict[str, Any]] = []

    async def past_the_reminder() -> bool:
        """The workflow recorded an event (the SLA's breach, escalation, warning) later than the idle
        reminder would have been due: a reminder armed by mistake would have fired by then. How long
        after the first message the conversation went pending depends on the machine's load."""
        nonlocal trail
        trail = (await api.request("GET", "/v1/conversations/wake-1/decisions")).body["decisions"]
        pending_at = next(datetime.fromisoformat(e["at"]) for e in trail if e["event"] == "status.changed")
        return any(datetime.fromisoformat(e["at"]) > pending_at + idle_reminder for e in trail)

    await eventually(past_the_reminder, what="an event after the idle reminder's time")
    assert [m["template"] for m in sent(outbox, "auto_reply")] == ["acknowledgement"]
    assert not any(e["event"] == "conversation.idle" for e in trail)


# -- long lives ----------------------------------------------------------------------------------


async def test_continue_as_new_keeps_state_and_dedup(
    settings: Settings, client: Client, tenants: dict[str, str], worker: None
) -> None:
    short_runs = settings.model_copy(update={"max_events_per_run": 4})
    async with serve_api(client, short_runs, tenants) as api:
        for i in range(6):
            answer = await api.post_message("long-1", f"m-{i}", f"message {i}")
            assert answer.body["duplicate"] is False
        conversation = await state(api, "long-1")
        assert conversation["customer_messages"] == 6 and conversation["runs"] == 2
        duplicate = await api.post_message("long-1", "m-0", "message 0")
        assert duplicate.body["duplicate"] is True
        assert (await state(api, "long-1"))["customer_messages"] == 6
        runs = [
            wf.run_id async for wf in client.list_workflows(f"WorkflowId = '{api.workflow_id('long-1')}'")
        ]
        assert len(runs) == conversation["runs"]


async def test_a_reply_s_id_used_again_with_other_words_is_refused_not_dropped(
    settings: Settings, client: Client, tenants: dict[str, str], worker: None, outbox: OutboxRows
) -> None:
    """A second reply under a message id already used answered 200 `duplicate: true` and was never
    sent: an agent's correction (a refund number) lost while the agent read success (helpers 117 and
    118). Its retry, word for word, is still a repeat; remembered across continue-as-new."""
    short_runs = settings.model_copy(update={"max_events_per_run": 4})
    path = "/v1/conversations/ids-1/replies"
    first = {"agent_id": "ana", "message_id": "dup-1", "text": "First text"}
    async with serve_api(client, short_runs, tenants) as api:
        assert (await api.post_message("ids-1", "m-1", "Where is my refund?")).status == 201
        assert (await api.request("POST", path, json=first)).status == 200
        for other in ({**first, "text": "The refund number is 77"}, {**first, "agent_id": "ben"}):
            refused = await api.request("POST", path, json=other)
            assert (refused.status, refused.body["error"]) == (409, "message_id_reused"), refused.body
            assert [f["field"] for f in refused.body["fields"]] == ["message_id"]
        keyed = await api.request(
            "POST",
            path,
            json={"agent_id": "ana", "text": "Other words"},
            headers={"Idempotency-Key": "dup-1"},
        )
        assert keyed.status == 409, keyed.body
        # Customer messages and replies share one set of ids: neither is dropped as the other's repeat.
        customer_s = await api.request("POST", path, json={**first, "message_id": "m-1"})
        assert customer_s.status == 409 and customer_s.body["error"] == "message_id_reused", customer_s.body
        reply_s = await api.post_message("ids-1", "dup-1", "A customer message under the reply's id")
        assert reply_s.status == 409 and reply_s.body["error"] == "message_id_reused", reply_s.body
        for i in range(2, 6):  # the conversation continues as new on the way
            assert (await api.post_message("ids-1", f"m-{i}", f"message {i}")).status == 200
        assert (await state(api, "ids-1"))["runs"] >= 2
        repeat = await api.request("POST", path, json=first)
        assert repeat.status == 200 and repeat.body["duplicate"] is True, repeat.body
        assert (await api.request("POST", path, json={**first, "text": "Again other"})).status == 409
    sent = [r["text"] for r in outbox.read_all(tenants["acme"]) if r["kind"] == "agent_reply"]
    assert sent == ["First text"], sent


async def test_whatsapp_survey_outside_the_24_hour_window_is_a_template_message(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    yesterday = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    for conversation, received_at in (("wa-old", yesterday), ("wa-new", None)):
        answer = await api.request(
            "POST",
            f"/v1/conversations/{conversation}/messages",
            json={
                "message_id": "wamid.1",
                "channel": "whatsapp",
                "sender": {"address": "+4915112345678"},
                "text": "help (slow)",
                **({"received_at": received_at} if received_at else {}),
            },
        )
        assert answer.status == 201, answer.body
        await set_status(api, conversation, "solved")

    async def both_surveyed() -> bool:
        return len(sent(outbox, "survey")) == 2

    await eventually(both_surveyed, what="two surveys")
    template_only = {m["idempotency_key"].split(":")[2]: m["template_only"] for m in sent(outbox, "survey")}
    assert template_only == {"wa-old": True, "wa-new": False}


async def test_an_sla_counts_from_when_the_channel_received_the_message(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    # A message the channel held two hours, on a 60-minute first response: the clock started when the
    # workflow handled it, so the SLA was met by a reply the KPIs counted two hours late.
    publish(settings, TEST_PACKS / "timers")
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    answer = await api.request(
        "POST",
        "/v1/conversations/held-1/messages?wait=decided",
        json={
            "message_id": "m-1",
            "channel": "email",
            "sender": {"address": "ada@example.com"},
            "text": "where is my order (slow)",
            "received_at": received.isoformat(),
        },
    )
    assert answer.status == 201, answer.body

    async def breached() -> bool:
        return (await state(api, "held-1"))["sla"]["targets"]["first_response"]["breached_at"] is not None

    await eventually(breached, what="the first response breached at once")
    target = (await state(api, "held-1"))["sla"]["targets"]["first_response"]
    started, breached_at = (datetime.fromisoformat(target[k]) for k in ("started_at", "breached_at"))
    assert (started, breached_at) == (received, received + timedelta(minutes=60)), target


async def test_an_sla_a_rule_applies_on_another_event_counts_from_then(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    # Only clocks a customer message's handling starts count from its `received_at`: a policy applied
    # on an agent's reply two hours later starts from that reply (its resolution not breached at once).
    publish(settings, TEST_PACKS / "late_sla")
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    body = {
        "message_id": "m-1",
        "channel": "email",
        "sender": {"address": "ada@example.com"},
        "text": "where is my order",
        "received_at": received.isoformat(),
    }
    assert (
        await api.request("POST", "/v1/conversations/late-1/messages?wait=decided", json=body)
    ).status == 201
    replied = await api.request(
        "POST",
        "/v1/conversations/late-1/replies",
        json={"agent_id": "a-1", "text": "On it", "message_id": "r-1"},
    )
    assert replied.status == 200, replied.body
    sla = (await state(api, "late-1"))["sla"]
    resolution = sla["targets"]["resolution"]
    assert sla["policy"] == "after-reply" and resolution["breached_at"] is None, sla
    assert datetime.fromisoformat(resolution["started_at"]) > received + timedelta(hours=1), resolution


async def test_sla_deadline_is_on_the_business_hours_calendar(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    """The default pack's 480 business minutes on its London office calendar, checked by computing."""
    publish(settings, PACKS / "default")
    await api.post_message("cal-1", "m-1", "Where is my parcel?")
    target = (await state(api, "cal-1"))["sla"]["targets"]["first_response"]
    pack = load_valid(PACKS / "default")
    office = BusinessCalendar.from_dict(pack.calendars["office"])
    started = datetime.fromisoformat(target["started_at"])
    assert datetime.fromisoformat(target["deadline"]) == office.deadline(started, timedelta(minutes=480))
    assert office.elapsed(started, datetime.fromisoformat(target["warning_at"])) == timedelta(minutes=384)


async def test_assignment_from_the_helpdesk_is_an_event(api: ApiClient, worker: None) -> None:
    await api.post_message("as-1", "m-1", "hello")
    path = "/v1/conversations/as-1/assignment"
    first = await api.request("POST", path, json={"agent_id": "agent-7", "team": "billing"})
    assert first.status == 200 and first.body["duplicate"] is False
    again = await api.request("POST", path, json={"agent_id": "agent-7"})
    assert again.body["duplicate"] is True
    conversation = await state(api, "as-1")
    assert conversation["assignee"] == "agent-7" and conversation["team"] == "billing"
    assert "assigned" in conversation["tags"]
    trail = (await api.request("GET", "/v1/conversations/as-1/decisions")).body["decisions"]
    assert [e["event"] for e in trail].count("conversation.assigned") == 1
    listed = await api.request("GET", "/v1/conversations?assignee=agent-7")
    assert [c["conversation_id"] for c in listed.body["conversations"]] == ["as-1"]
    bad = await api.request("POST", path, json={"agent_id": "agent 7; drop"})
    assert bad.status == 422 and bad.body["fields"][0]["field"] == "agent_id"


async def test_unanswered_survey_expires(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "timers")
    await api.post_message("exp-1", "m-1", "help (slow)")
    await set_status(api, "exp-1", "solved")

    async def expired() -> bool:
        return (await state(api, "exp-1"))["survey"]["status"] == "expired"

    await eventually(expired, what="survey expiry")
    assert len(sent(outbox, "survey")) == 1
    late = await api.request("POST", "/v1/conversations/exp-1/survey", json={"rating": 4})
    assert late.status == 409 and "expired" in late.body["message"]
    # The trail says when: an auditor saw it sent, and then nothing.
    (entry,) = [e for e in await trail(api, "exp-1") if e["event"] == "survey.expired"]
    shown = await state(api, "exp-1")
    assert entry["at"] == shown["survey"]["expires_at"] and entry["note"] == "the survey expired unanswered"


async def test_an_out_of_office_answering_our_reply_changes_nothing_but_the_trail(
    api: ApiClient, outbox: OutboxRows, settings: Settings, worker: None
) -> None:
    """The customer's autoresponder answered the agent's last reply seconds after the conversation was
    solved: it reopened it, cancelled its survey and restarted its resolution clock, and the agent's
    next reply threaded under the out-of-office."""
    publish(settings, TEST_PACKS / "timers")
    first = {"message_id": "<ooo-1@customer.example>", "channel": "email", "text": "help (slow)"}
    body = {**first, "sender": {"address": "ada@customer.example"}}
    assert (await api.request("POST", "/v1/conversations/ooo/messages?wait=decided", json=body)).status == 201
    await reply(api, "ooo")
    await set_status(api, "ooo", "solved")
    away = {**body, "message_id": "<ooo-auto@customer.example>", "text": "I am away", "auto_submitted": True}
    taken = await api.request("POST", "/v1/conversations/ooo/messages?wait=decided", json=away)
    assert taken.status == 200 and taken.body["status"] == "solved", taken.body
    after = await state(api, "ooo")
    assert (after["status"], after["reopened"], after["survey"]["status"]) == ("solved", 0, "scheduled")
    assert after["customer_messages"] == 2  # recorded, and decided: the trail has it
    assert [d["event"] for d in await trail(api, "ooo")].count("message.received") == 2

    async def surveyed() -> bool:
        return len(sent(outbox, "survey")) == 1

    await eventually(surveyed, what="the survey, still due")
    await reply(api, "ooo", "One more thing")
    (last,) = [m for m in sent(outbox, "agent_reply") if m["text"] == "One more thing"]
    assert last["in_reply_to"] == "<ooo-1@customer.example>", last
    # Automatic, but a person wrote it (their mail system forwarded it): that reopens.
    await set_status(api, "ooo", "solved")
    forwarded = {
        **body,
        "message_id": "<ooo-fwd@customer.example>",
        "text": "It broke again",
        "headers": {"Auto-Submitted": "auto-forwarded"},
    }
    back = await api.request("POST", "/v1/conversations/ooo/messages?wait=decided", json=forwarded)
    assert back.status == 200 and back.body["status"] == "open", back.body
    assert (await state(api, "ooo"))["reopened"] == 1
