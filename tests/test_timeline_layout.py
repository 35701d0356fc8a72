"""The timeline's layout from a state and a trail, without a server: clocks pause where the status
was one of the policy's pause statuses, also for trails recorded before status changes named the
new status; what the customer wrote stays out of the reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from engine.audit.timeline import MAX_TICKS, WIDTH, build_timeline
from engine.audit.timeline_rows import WITHHELD
from engine.contracts.conversation import (
    Channel,
    ConversationState,
    DecisionEntry,
    ExecutedAction,
    Party,
    ThreadSummary,
)
from engine.contracts.sla_state import SlaState, SlaTarget
from engine.service.audit_timeline import render

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def conversation(targets: dict[str, SlaTarget]) -> ConversationState:
    return ConversationState(
        conversation_id="conversation:acme:c-1",
        tenant="acme",
        external_id="c-1",
        channel=Channel.EMAIL,
        customer=Party(address="ada@example.com"),
        created_at=T0,
        updated_at=at(100),
        sla=SlaState(policy="standard", targets=targets),
    )


def created() -> DecisionEntry:
    decision = {
        "rules": [{"id": "sla", "outcome": "matched", "reads": {"message.text": "my IBAN is DE02..."}}],
        "actions": [{"rule": "sla", "action": {"type": "apply_sla", "value": "standard"}}],
    }
    return DecisionEntry(
        seq=1,
        event="conversation.created",
        at=at(0),
        decision=decision,
        executed=[ExecutedAction(index="0", action={"type": "apply_sla", "value": "standard"})],
        message_id="m-1",
    )


def test_an_old_trail_still_pauses_the_clock_where_the_rules_and_the_customer_moved_the_status() -> None:
    pending = {
        "rules": [],
        "actions": [{"rule": "wait", "action": {"type": "set_status", "value": "pending"}}],
    }
    trail = [
        created(),
        DecisionEntry(
            seq=2,
            event="message.received",
            at=at(10),
            decision=pending,
            executed=[ExecutedAction(index="0", action={"type": "set_status", "value": "pending"})],
            message_id="m-1",
        ),
        DecisionEntry(seq=3, event="status.changed", at=at(10), depth=1),  # no note: before notes
        DecisionEntry(seq=4, event="message.received", at=at(40), message_id="m-2"),
        DecisionEntry(seq=5, event="status.changed", at=at(40), message_id="m-2"),  # the customer woke it
        DecisionEntry(seq=6, event="sla.breached", at=at(90)),
    ]
    target = SlaTarget(
        name="first_response",
        target_minutes=1,
        remaining_minutes=0,
        breached_at=at(90),
        deadline=at(90),
        started_at=at(40),
        paused_at=at(10),
    )
    timeline = build_timeline(
        conversation({"first_response": target}), trail, pause_on=["pending"], now=at(100)
    )
    [clock] = timeline.clocks
    assert [(s.kind, s.start, s.end) for s in clock.spans] == [
        ("running", at(0), at(10)),
        ("paused", at(10), at(40)),
        ("running", at(40), at(90)),
    ]
    assert clock.outcome == "breached"
    [breach] = [m for m in clock.markers if m.kind == "breach"]
    assert breach.x == WIDTH * 0.9 and breach.label == "breached 09:01:30"
    assert [s.kind for s in timeline.statuses] == ["open", "pending", "open"]
    assert timeline.notes == []
    assert timeline.rows[5].sla_target == "first_response"
    assert timeline.rows[0].reasons[0].reads == [("message.text", WITHHELD)]
    assert 1 < len(timeline.ticks) <= MAX_TICKS and all(0 <= t.x <= WIDTH for t in timeline.ticks)


def test_a_change_nobody_can_name_is_said_so_and_noted_changes_are_read() -> None:
    trail = [
        created(),
        # the actor an API call names goes before the change, which is read after its last " -> "
        DecisionEntry(seq=2, event="status.changed", at=at(20), note="set by lead-olga: open -> on_hold"),
        DecisionEntry(seq=3, event="status.changed", at=at(30)),  # an API call's, before notes
    ]
    target = SlaTarget(name="resolution", target_minutes=60, remaining_minutes=59.7, paused_at=at(20))
    timeline = build_timeline(conversation({"resolution": target}), trail, pause_on=["on_hold"], now=at(60))
    [clock] = timeline.clocks
    assert clock.outcome == "paused"
    assert [(s.kind, s.start, s.end) for s in clock.spans] == [
        ("running", at(0), at(20)),
        ("paused", at(20), at(60)),
    ]
    assert timeline.end == at(100)  # the state's last update is later than `now` here
    assert timeline.notes and "1 status change(s)" in timeline.notes[0]


def test_a_clock_that_started_before_the_trail_s_first_entry_is_drawn_from_its_start() -> None:
    """A message received days before it was handled (a channel's `received_at`), whose trail kept
    only later entries: the first-response clock was drawn from the trail's first entry (its
    warning), not from when it started, and the axis left its start out."""
    received = T0 - timedelta(days=5)
    target = SlaTarget(
        name="first_response",
        target_minutes=60,
        remaining_minutes=0,
        breached_at=received + timedelta(hours=1),
        deadline=received + timedelta(hours=1),
        warning_at=received + timedelta(minutes=45),
        warned=True,
        started_at=received,
    )
    state = conversation({"first_response": target}).model_copy(
        update={"first_customer_message_at": received}
    )
    trail = [
        DecisionEntry(seq=5, event="sla.warning", at=received + timedelta(minutes=45)),
        DecisionEntry(seq=6, event="sla.breached", at=received + timedelta(hours=1)),
    ]
    timeline = build_timeline(state, trail, pause_on=["pending"], now=at(100))
    assert timeline.start == received
    [clock] = timeline.clocks
    assert [(s.kind, s.start, s.end) for s in clock.spans] == [
        ("running", received, received + timedelta(hours=1))
    ]
    assert clock.spans[0].x == 0


def test_a_later_thread_s_clock_is_drawn_from_its_own_start_not_the_first_thread_s() -> None:
    """Thread 2's first-response clock was drawn from thread 1's `apply_sla`: the days thread 1 lay
    closed were drawn as the clock running."""
    later = at(3600)
    target = SlaTarget(name="first_response", target_minutes=60, remaining_minutes=50, started_at=later)
    state = conversation({"first_response": target}).model_copy(
        update={
            "thread": 2,
            "threads": [ThreadSummary(thread=1, started_at=T0, closed_at=at(100))],
            "updated_at": later + timedelta(minutes=10),
        }
    )
    applied = [ExecutedAction(index="0", action={"type": "apply_sla", "value": "standard"})]
    trail = [
        created(),
        DecisionEntry(seq=2, event="status.changed", at=at(100), note="set by api: open -> closed"),
        DecisionEntry(seq=3, event="conversation.created", at=later, executed=applied, thread=2),
    ]
    timeline = build_timeline(state, trail, pause_on=["pending"], now=later + timedelta(minutes=10))
    [clock] = timeline.clocks
    assert [(s.kind, s.start) for s in clock.spans] == [("running", later)]


def test_a_clock_a_reopen_restarted_is_drawn_from_the_reopen_not_through_the_solved_time() -> None:
    """Solved at 100 s (its resolution met), reopened at 300 s: the page drew the clock running
    from the policy's start through the 200 s it lay solved."""
    target = SlaTarget(name="resolution", target_minutes=60, remaining_minutes=55, started_at=at(300))
    state = conversation({"resolution": target}).model_copy(update={"updated_at": at(400)})
    trail = [
        created(),
        DecisionEntry(seq=2, event="status.changed", at=at(100), note="set by api: open -> solved"),
        DecisionEntry(seq=3, event="message.received", at=at(300), message_id="m-2"),
        DecisionEntry(seq=4, event="status.changed", at=at(300), note="reopened: solved -> open"),
    ]
    timeline = build_timeline(state, trail, pause_on=["pending"], now=at(400))
    [clock] = timeline.clocks
    assert [(s.kind, s.start, s.end) for s in clock.spans] == [("running", at(300), at(400))]


def test_the_page_withholds_everything_the_customer_wrote_or_is_and_shows_what_the_service_derived() -> None:
    """A list of personal fields let through the signature in `message.quoted`, a rule reading the
    whole message or customer, and the CRM's tier and lifetime value: README says values from the
    customer's message or profile are withheld."""
    reads = {
        "message.quoted": "Best regards, Quentin, Phone +44 7700 900123",
        "message": {"text": "the order has not arrived", "quoted": "..."},
        "customer": {"name": "Quentin Q", "email": "q@example.com"},
        "": {"message": {"text": "the whole context"}},
        "customer.tier": "vip",
        "customer.lifetime_value": 4800,
        "customer.language": "en",
        "customer.custom.passport": "X1234",
        "message.attachments[0].name": "passport_quentin.pdf",
        "survey.comment": "Quentin here, call me",
        "message.intent": "billing",
        "message.language": "de",
        "message.sentiment_label": "negative",
        "customer.known": True,
        "survey.rating": 2,
        "conversation.tags": ["vip"],
        "business_hours.open": True,
    }
    entry = created().model_copy(
        update={"decision": {"rules": [{"id": "sla", "outcome": "matched", "reads": reads}], "actions": []}}
    )
    timeline = build_timeline(conversation({}), [entry], pause_on=[], now=at(100))
    shown = dict(timeline.rows[0].reasons[0].reads)
    withheld = [path for path, value in shown.items() if value == WITHHELD]
    assert withheld == list(reads)[:10], shown
    assert shown["message.intent"] == "billing" and shown["survey.rating"] == "2"
    assert shown["customer.known"] == "true" and shown["conversation.tags"] == '["vip"]'


def test_why_a_message_read_as_its_intent_is_shown_as_scores_never_as_its_words() -> None:
    """The lead saw `message.intent = cancellation` and could not tell why a question went to
    retention (helper-118): the row shows every intent's probability, the language and the
    sentiment. The words that weighed are the customer's: never on the page."""
    triage = {
        "language": "en",
        "language_confidence": 0.97,
        "intent": "cancellation",
        "intent_confidence": 0.7,
        "intent_scores": {"general": 0.2, "cancellation": 0.7, "billing": 0.06, "technical": 0.04},
        "intent_words": [["quentin", 0.5], ["account", 0.3]],
        "sentiment_label": "neutral",
    }
    entry = created().model_copy(update={"triage": triage})
    timeline = build_timeline(conversation({}), [entry], pause_on=[], now=at(100))
    assert timeline.rows[0].classified == (
        "intent cancellation: cancellation 0.70, general 0.20, billing 0.06, technical 0.04; "
        "language en 0.97; sentiment neutral"
    )
    page = render(timeline)
    assert "classified: intent cancellation" in page and "quentin" not in page and "account" not in page


def test_every_time_the_page_shows_under_utc_is_in_utc() -> None:
    """A breach's entry keeps its calendar's offset (`+02:00`): the page printed its wall clock under
    "Time (UTC)", two hours off the clock drawn above it (helper-114)."""
    berlin = timezone(timedelta(hours=2))
    breach = DecisionEntry(seq=2, event="sla.breached", at=at(60).astimezone(berlin), decision=None)
    page = render(build_timeline(conversation({}), [created(), breach], pause_on=[], now=at(100)))
    assert "2026-03-02 09:01:00.000" in page
    assert "2026-03-02 11:01:00" not in page
