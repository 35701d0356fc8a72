"""Each breached SLA target escalates on its own clock, and still counts once a new clock replaces it.

Resolution breached after first response: its rule escalated to level 1 again and the level after it
was timed from the first response's breach (so it ran at once, 120 business minutes early with the
default pack), named the first response, and took the place of the first response's own pending
level. Now each target's next level is due its `after_breach_minutes` after its own breach.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from engine.service.config import Settings
from tests.api_client import ApiClient, Reply
from tests.conftest import TEST_PACKS, publish
from tests.outbox_rows import OutboxRows
from tests.polling import eventually
from tests.test_lifecycle import set_status, state
from tests.test_sends_in_background import post_reply

KUNDENSERVICE = Path(__file__).resolve().parent.parent / "rule_packs" / "kundenservice"  # Berlin hours
DEFAULT_PACK = KUNDENSERVICE.parent / "default"


async def _message(
    api: ApiClient, conversation: str, message_id: str, received: datetime, text: str = "Where is my parcel?"
) -> Reply:
    """A customer message the channel received at `received`, handled and decided before the answer."""
    body = {
        "message_id": message_id,
        "channel": "email",
        "sender": {"address": "ada@example.com"},
        "text": text,
        "received_at": received.isoformat(),
    }
    return await api.request("POST", f"/v1/conversations/{conversation}/messages?wait=decided", json=body)


async def test_a_second_breach_schedules_its_own_next_level(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "escalations")
    assert (await api.post_message("esc-1", "m-1", "help", wait=None)).status == 201

    sla: dict = {}

    async def both_escalated() -> bool:
        nonlocal sla
        sla = (await state(api, "esc-1"))["sla"]
        targets = sla["targets"]  # empty until the message is handled: it is answered once recorded
        breached = set(targets) == {"first_response", "resolution"} and all(
            t["breached_at"] for t in targets.values()
        )
        # a breach is in the state before its rules ran: wait for what they schedule
        return breached and {e["target"] for e in sla["escalations"]} == {"first_response", "resolution"}

    await eventually(both_escalated, "first response and resolution breached, each with its level 2")
    after = timedelta(minutes=10)  # level 2's after_breach_minutes, on a 24/7 calendar
    due = {(e["level"], e["target"]): datetime.fromisoformat(e["due_at"]) for e in sla["escalations"]}
    assert due == {
        (2, name): datetime.fromisoformat(t["breached_at"]) + after for name, t in sla["targets"].items()
    }


async def test_a_breached_next_response_still_counts_once_the_next_one_starts(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    """The customer's next message started a new next-response clock over the breached one: GET said
    `breached: false` and the list's `sla_breached=true` lost the conversation, while the KPIs counted
    the breach."""
    publish(settings, TEST_PACKS / "next_response")
    assert (await api.post_message("nr-1", "m-1", "help", wait=None)).status == 201
    await post_reply(api, "nr-1", "On it")
    assert (await api.post_message("nr-1", "m-2", "any news?", wait=None)).status == 200

    async def next_response_breached() -> bool:
        target = (await state(api, "nr-1"))["sla"]["targets"].get("next_response") or {}
        return target.get("breached_at") is not None  # none yet: the message is recorded, not yet handled

    await eventually(next_response_breached, "the next response breached")
    breached_at = (await state(api, "nr-1"))["sla"]["targets"]["next_response"]["breached_at"]
    await post_reply(api, "nr-1", "Sorry for the wait")
    assert (await api.post_message("nr-1", "m-3", "thanks, one more thing", wait=None)).status == 200

    async def next_clock() -> bool:
        target = (await state(api, "nr-1"))["sla"]["targets"]["next_response"]
        return target["running"] and target["breached_at"] is None and target["started_at"] > breached_at

    await eventually(next_clock, "a new next-response clock")
    sla = (await state(api, "nr-1"))["sla"]
    assert sla["breached"] is True
    assert sla["earlier_breaches"] == [{"target": "next_response", "breached_at": breached_at}]

    async def listed() -> bool:
        found = await api.request("GET", "/v1/conversations?sla_breached=true")
        return [c["conversation_id"] for c in found.body["conversations"]] == ["nr-1"]

    await eventually(listed, "the conversation listed as breached")


async def test_a_policy_changed_on_a_follow_up_keeps_the_met_and_the_waiting_clocks(
    api: ApiClient, worker: None, settings: Settings
) -> None:
    """A rule moves an angry follow-up to a faster policy: the next response the customer waits for
    was dropped (only first response and resolution were rebuilt), and so was the met first response,
    so the faster policy took the response clock away."""
    publish(settings, TEST_PACKS / "policy_change")
    assert (await api.post_message("pc-1", "m-1", "Hello, where is my parcel?")).status == 201
    assert (await post_reply(api, "pc-1", "r-1")).status == 200
    angry = await api.post_message("pc-1", "m-2", "This is the worst, I am furious")
    assert angry.status == 200, angry.body
    shown = (await state(api, "pc-1"))["sla"]
    assert shown["policy"] == "fast"
    targets = shown["targets"]
    assert targets["first_response"]["met_at"] is not None, "the met first response stays met"
    waiting = targets["next_response"]
    assert waiting["running"] is True and waiting["met_at"] is None and waiting["target_minutes"] == 20
    # The fast policy's minutes less what the clock had run (since the message came: exactly 20
    # would mean nothing was taken off).
    assert 19 <= waiting["remaining_minutes"] < 20
    assert targets["resolution"]["running"] is True and targets["resolution"]["target_minutes"] == 100


async def test_a_policy_changed_after_a_breach_keeps_the_breach(
    api: ApiClient, worker: None, settings: Settings
) -> None:
    """A breached first response, then a rule moved the conversation to a faster policy: the first
    response started over with the new policy's full minutes, and was warned, breached and escalated
    a second time; the timeline showed only the second breach."""
    publish(settings, TEST_PACKS / "policy_change")
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    assert (await _message(api, "pb-1", "m-1", received, "Hello, where is my parcel?")).status == 201

    async def breached() -> bool:
        return (await state(api, "pb-1"))["sla"]["targets"]["first_response"]["breached_at"] is not None

    await eventually(breached, "the held message's first response breached")
    angry = await api.post_message("pb-1", "m-2", "Still nothing, I am furious")
    assert angry.status == 200, angry.body
    shown = (await state(api, "pb-1"))["sla"]
    first = shown["targets"]["first_response"]
    assert shown["policy"] == "fast" and first["target_minutes"] == 10
    assert datetime.fromisoformat(first["breached_at"]) == received + timedelta(minutes=60), first
    assert first["running"] is False and first["deadline"] is None, first
    decisions = (await api.request("GET", "/v1/conversations/pb-1/decisions")).body["decisions"]
    breached_targets = [d["kpi"]["target"] for d in decisions if d["event"] == "sla.breached"]
    # the resolution, 120 minutes in on a 100-minute policy, breaches at the change; the first
    # response, once
    assert breached_targets == ["first_response", "resolution"], breached_targets


async def test_a_customer_who_reopens_waits_for_a_response_though_their_last_message_had_none(
    api: ApiClient, worker: None, settings: Settings
) -> None:
    """Customer, reply, customer again, solved without a word (the solve met that next response),
    then the customer reopens it: only the resolution ran, no response clock, where the same steps
    without the middle message started one."""
    publish(settings, TEST_PACKS / "policy_change")
    assert (await api.post_message("ro-1", "m-1", "Hello, where is my parcel?")).status == 201
    assert (await post_reply(api, "ro-1", "r-1")).status == 200
    assert (await api.post_message("ro-1", "m-2", "Any news?")).status == 200
    solved = await api.request("POST", "/v1/conversations/ro-1/status", json={"status": "solved"})
    assert solved.status == 200, solved.body
    assert (await api.post_message("ro-1", "m-3", "It still has not arrived")).status == 200
    shown = await state(api, "ro-1")
    assert shown["status"] == "open" and shown["reopened"] == 1, shown
    waiting = shown["sla"]["targets"]["next_response"]
    assert waiting["running"] is True and waiting["met_at"] is None, waiting
    assert shown["sla"]["targets"]["resolution"]["running"] is True


async def test_an_escalation_the_applied_policy_lacks_says_so_on_the_trail(
    api: ApiClient, worker: None, settings: Settings
) -> None:
    """`escalate: {level: 2}` on a conversation whose policy has no level 2 (another policy has):
    its outcome was a bare "done", as if the level's actions had run."""
    publish(settings, TEST_PACKS / "policy_change")
    assert (await api.post_message("lw-1", "m-1", "I will call my lawyer")).status == 201
    received = [d for d in (await api.request("GET", "/v1/conversations/lw-1/decisions")).body["decisions"]]
    (done,) = [e for d in received for e in d["executed"] if e["action"]["type"] == "escalate"]
    assert (done["outcome"], done["detail"]) == (
        "done",
        "escalation level 2 set; SLA policy standard runs nothing at that level",
    )
    assert (await state(api, "lw-1"))["priority"] != "urgent"


async def test_an_escalation_waits_while_the_conversation_waits_on_its_customer(
    api: ApiClient, worker: None, settings: Settings
) -> None:
    """A breached resolution's next level ran on time while the conversation was pending (the policy
    pauses on it): a manager was paged about a conversation waiting on its customer. The level now
    waits with the clocks, and comes its business minutes left after they resume."""
    publish(settings, TEST_PACKS / "paused_escalation")
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    assert (await _message(api, "pe-1", "m-1", received)).status == 201

    async def level_two_coming() -> bool:
        return bool((await state(api, "pe-1"))["sla"]["escalations"])

    await eventually(level_two_coming, "the breached resolution's level 2 to come")
    (coming,) = (await state(api, "pe-1"))["sla"]["escalations"]
    # A breached clock has nothing left (it read the whole target, as it had at its start).
    breached = [t for t in (await state(api, "pe-1"))["sla"]["targets"].values() if t["breached_at"]]
    assert breached and all(t["remaining_minutes"] == 0 for t in breached), breached
    # The breach happened an hour before the conversation existed; its effects went out when it
    # was handled, and the trail says when (an auditor read a notification sent before the customer
    # wrote to us).
    entries = (await api.request("GET", "/v1/conversations/pe-1/decisions")).body["decisions"]
    late = {e["event"]: e for e in entries if e["event"] in ("conversation.created", "sla.breached")}
    breach, created = late["sla.breached"], late["conversation.created"]
    assert breach["handled_at"] and created["handled_at"] is None, late
    instant = datetime.fromisoformat
    assert (
        instant(breach["handled_at"])
        >= instant(created["at"])
        > instant(breach["at"]) + timedelta(minutes=30)
    )
    due = datetime.fromisoformat(coming["due_at"])
    assert due == received + timedelta(minutes=60 + 120), coming  # the breach, then its 120 minutes
    await set_status(api, "pe-1", "pending")
    (held,) = (await state(api, "pe-1"))["sla"]["escalations"]
    assert held["due_at"] is None and 0 < held["remaining_minutes"] <= 60, held
    paused_at = datetime.fromisoformat(held["paused_at"])
    asked = datetime.now(UTC)
    await set_status(api, "pe-1", "open")
    answered = datetime.now(UTC)
    (resumed,) = (await state(api, "pe-1"))["sla"]["escalations"]
    # due later by the time it waited (a 24/7 calendar): from its pause to the resume, which the
    # workflow made between the request and its answer
    shift = datetime.fromisoformat(resumed["due_at"]) - due
    assert asked - paused_at <= shift <= answered - paused_at, (shift, paused_at, asked, answered)
    assert resumed["remaining_minutes"] is None and resumed["level"] == 2


async def _resolution(api: ApiClient, conversation: str) -> dict:
    return (await state(api, conversation))["sla"]["targets"]["resolution"]


async def test_a_customer_who_wakes_a_pending_conversation_resumes_its_clocks_from_when_they_wrote(
    api: ApiClient, worker: None, settings: Settings
) -> None:
    """The clocks resumed when the waking message was handled, not when the channel received it (a
    mailbox polled minutes later gave the team those minutes, which the KPIs count); and a message
    that crossed the agent's "pending" on its way paused the clock it should have kept running."""
    publish(settings, TEST_PACKS / "paused_escalation")
    for conversation in ("wk-1", "wk-2"):
        assert (await _message(api, conversation, "m-1", datetime.now(UTC))).status == 201
    before = datetime.fromisoformat((await _resolution(api, "wk-1"))["deadline"])
    crossed = datetime.now(UTC)  # the customer writes, then the agent (not yet seeing it) sets pending
    await set_status(api, "wk-1", "pending")
    assert (await _message(api, "wk-1", "m-2", crossed)).status == 200
    resumed = await _resolution(api, "wk-1")
    assert abs(datetime.fromisoformat(resumed["deadline"]) - before) < timedelta(milliseconds=1), resumed

    await set_status(api, "wk-2", "pending")
    paused = await _resolution(api, "wk-2")
    wrote = datetime.fromisoformat(paused["paused_at"]) + timedelta(milliseconds=1)
    assert (await _message(api, "wk-2", "m-2", wrote)).status == 200
    resumed = await _resolution(api, "wk-2")
    expected = wrote + timedelta(minutes=paused["remaining_minutes"])
    assert abs(datetime.fromisoformat(resumed["deadline"]) - expected) < timedelta(milliseconds=1), resumed
    assert datetime.fromisoformat(resumed["started_at"]) == wrote


async def test_sla_instants_are_answered_in_utc_whatever_the_policy_s_calendar(
    api: ApiClient, worker: None, settings: Settings
) -> None:
    """A deadline on a Berlin calendar read `...T17:00:00+01:00` beside every other instant's `Z`:
    the same instant, written as no other field of the answer writes one."""
    publish(settings, KUNDENSERVICE)
    assert (await _message(api, "tz-1", "m-1", datetime.now(UTC), "Hallo, meine Rechnung")).status == 201
    targets = (await state(api, "tz-1"))["sla"]["targets"]
    instants = [t[k] for t in targets.values() for k in ("deadline", "warning_at", "started_at") if t[k]]
    assert instants and all(i.endswith("Z") for i in instants), targets
    reply = {"agent_id": "ana", "message_id": "r-1", "text": "Guten Tag"}
    assert (await api.request("POST", "/v1/conversations/tz-1/replies", json=reply)).status == 200
    met = (await state(api, "tz-1"))["sla"]["targets"]["first_response"]
    # met, none left: it read the whole target (480) however long the answer took
    assert met["met_at"] and met["remaining_minutes"] is None, met


async def test_the_default_pack_s_breach_notice_names_the_conversation_and_its_target(
    api: ApiClient, settings: Settings, worker: None, outbox: OutboxRows, tenants: dict[str, str]
) -> None:
    """The leads were told "SLA breached", nothing else: which conversation, which target? Two
    breaches of one conversation were two identical notices (helper-118)."""
    publish(settings, DEFAULT_PACK)
    week_ago = datetime.now(UTC) - timedelta(days=7)  # its first response is long overdue
    assert (await _message(api, "esc-default", "m-1", week_ago)).status == 201

    def notices() -> list[str]:
        return [r["text"] for r in outbox.read_all(tenants["acme"]) if r["kind"] == "notification"]

    async def told() -> bool:
        return any("first_response" in text for text in notices())

    await eventually(told, "the leads told of the breach")
    [notice] = [text for text in notices() if "first_response" in text]
    assert "conversation esc-default" in notice and "{" not in notice, notice
