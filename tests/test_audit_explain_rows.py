"""engine/audit/explain.py without a server: escalation actions, keys of old runs, a pack not stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.audit.explain import explain, render_text
from engine.contracts.conversation import ConversationState, DecisionEntry, ExecutedAction, Party

AT = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)


def state(life_id: str | None) -> ConversationState:
    return ConversationState(
        conversation_id="conversation:acme:c-1",
        tenant="acme",
        external_id="c-1",
        channel="email",
        customer=Party(address="ada@example.com"),
        created_at=AT,
        updated_at=AT,
        life_id=life_id,
    )


def breach() -> DecisionEntry:
    decision = {
        "pack": "p",
        "pack_hash": "h" * 64,
        "event": "sla.breached",
        "event_time": AT.isoformat(),
        "rules": [
            {"id": "quiet", "outcome": "not_matched", "reads": {"x": 1}, "error": None},
            {"id": "escalate-breach", "outcome": "matched", "reads": {"sla.breached": True}, "error": None},
        ],
        "actions": [
            {"rule": "escalate-breach", "action": {"type": "set_priority", "value": "urgent"}},
            {"rule": "escalate-breach", "action": {"type": "escalate", "level": 1}},
        ],
    }
    notify = {"type": "notify", "to": "support_leads", "message": "breached"}
    return DecisionEntry(
        seq=7,
        event="sla.breached",
        at=AT,
        decision=decision,
        executed=[
            ExecutedAction(index="0", action=decision["actions"][0]["action"]),
            ExecutedAction(index="1", action=decision["actions"][1]["action"]),
            ExecutedAction(index="1.0", action=notify, outcome="failed", detail="channel down"),
        ],
    )


def test_an_escalation_levels_actions_are_the_escalating_rules_and_keep_their_own_key() -> None:
    rows = explain(state("run-1"), [breach(), DecisionEntry(seq=8, event="message.sent", at=AT)], {})
    assert [(r.index, r.effect, r.rule, r.outcome) for r in rows] == [
        ("0", "priority", "escalate-breach", "done"),
        ("1", "escalation", "escalate-breach", "done"),
        ("1.0", "notification", "escalate-breach", "failed"),
    ]
    assert rows[2].key == "conversation:acme:c-1:run-1:7:1.0" and rows[2].outbound and not rows[0].outbound
    assert rows[2].reads == {"sla.breached": True}, "the escalating rule's reads, not another rule's"
    assert not rows[2].condition_known, "the pack is not at hand: the condition is not made up"


def test_a_conversation_from_before_threads_has_keys_without_a_life_id() -> None:
    (first, *_) = explain(state(None), [breach()], {})
    assert first.key == "conversation:acme:c-1:7:0"


def test_a_record_whose_reads_were_left_out_says_so_where_they_would_be() -> None:
    entry = breach()
    record = dict(entry.decision or {})
    record["rules"] = [{**row, "reads": {}} for row in record["rules"]]
    record["reads_left_out"] = 2_700_000
    bounded = DecisionEntry(seq=7, event="sla.breached", at=AT, decision=record, executed=entry.executed)
    rows = explain(state("run-1"), [bounded], {})
    assert all(row.reads == {} and row.reads_left_out == 2_700_000 for row in rows)
    assert "read      (left out: the record would have taken 2,700,000 bytes)" in render_text("c-1", rows)
    assert "left out" not in render_text("c-1", explain(state("run-1"), [breach()], {}))


def test_an_sla_policys_own_escalation_steps_are_explained_by_the_trails_note() -> None:
    # The policy's escalation level (no rule decided it) set the conversation urgent: explain left the
    # entry out, so nothing said why the conversation was urgent; the timeline showed it.
    note = "escalation level 2 of the SLA policy (first_response breached)"
    steps = [
        ExecutedAction(index="0.0", action={"type": "set_priority", "value": "urgent"}),
        ExecutedAction(index="0.1", action={"type": "add_tags", "value": ["escalated2"]}),
    ]
    escalation = DecisionEntry(seq=9, event="sla.escalation", at=AT, note=note, executed=steps)
    rows = explain(state("run-1"), [breach(), escalation], {})
    ours = [(r.seq, r.effect, r.rule, r.cause) for r in rows if r.seq == 9]
    assert ours == [(9, "priority", None, note), (9, "tag added", None, note)], ours
    assert all(r.cause is None for r in rows if r.seq == 7)  # a rule's effects name their rule
    text = render_text("c-1", rows)
    assert f"  cause     {note}" in text and "conversation:acme:c-1:run-1:9:0.1" in text


def test_a_timer_s_own_status_change_is_an_effect() -> None:
    """An auto-close while pending, the reopen window's end and a snooze's end moved the status with
    no rule: `explain`, "every effect, a rule's or the workflow's own", listed none of them."""
    trail = [
        DecisionEntry(seq=3, event="timer", at=AT, note="closed: no customer reply while pending"),
        DecisionEntry(seq=4, event="status.changed", at=AT, note="pending -> closed"),
        DecisionEntry(seq=9, event="timer", at=AT, note="reopened: snooze ended"),
        DecisionEntry(seq=10, event="timer", at=AT, note="something a later release notes"),
    ]
    rows = explain(state("run-1"), trail, {})
    assert [(r.seq, r.effect, r.action, r.cause) for r in rows] == [
        (
            3,
            "status change",
            {"type": "set_status", "value": "closed"},
            "closed: no customer reply while pending",
        ),
        (9, "status change", {"type": "set_status", "value": "open"}, "reopened: snooze ended"),
    ]
    text = render_text("c-1", rows)
    assert "effect    status change: set_status" in text and "cause     closed: no customer reply" in text
    assert "conversation:acme:c-1:run-1:3:0 (kept in the workflow)" in text


def test_an_assignment_no_rule_made_is_an_effect_with_its_cause() -> None:
    """The desk serving its queue, a person through the API and an agent lost moved the conversation
    with no rule: explain said "queued in team general: position 2 of 2", then "kept by ana", and
    never how ana got it."""

    def record(strategy: str, chosen: str) -> dict:
        reason = "least loaded: 0/3 on email of 1 eligible"
        return {"assignment": {"strategy": strategy, "team": "general", "chosen": chosen, "reason": reason}}

    trail = [
        DecisionEntry(seq=3, event="conversation.assigned", at=AT, assignment=record("least_loaded", "ana")),
        DecisionEntry(seq=5, event="conversation.unassigned", at=AT, note="ana went away (grace 5 min)"),
        DecisionEntry(seq=6, event="conversation.assigned", at=AT, assignment=record("agent", "ben")),
        # raised by a rule's `assign` (depth 1): the rule's own row explains it
        DecisionEntry(
            seq=8, event="conversation.assigned", at=AT, depth=1, assignment=record("skills", "cy")
        ),
    ]
    rows = explain(state("run-1"), trail, {})
    assert [(r.seq, r.effect, r.action, r.cause) for r in rows] == [
        (
            3,
            "assignment",
            {"type": "assign", "agent": "ana", "team": "general"},
            "the assignment desk served team general's queue",
        ),
        (5, "assignment", {"type": "unassign"}, "ana went away (grace 5 min)"),
        (6, "assignment", {"type": "assign", "agent": "ben", "team": "general"}, "assigned through the API"),
    ]
    assert rows[0].detail == "least loaded: 0/3 on email of 1 eligible"
    text = render_text("c-1", rows)
    # no key made up for them (`3:0` was printed, the key of no request)
    assert "run-1:3:" not in text and "key       - (none of its own" in text
    # the note names the cause where the trail has one: a timeout's reassignment is no queue served
    timeout = "reassigned: ana left the customer waiting 30 business minutes"
    noted = trail[0].model_copy(update={"note": timeout})
    assert explain(state("run-1"), [noted], {})[0].cause == timeout


def test_a_rule_s_assignment_key_says_it_is_the_desk_s_request_id() -> None:
    """Printed as every outbound key is, an auditor looked for it among the outbox rows."""
    decision = {
        "pack": "p",
        "pack_hash": "h" * 64,
        "rules": [{"id": "route-general", "outcome": "matched", "reads": {}, "error": None}],
        "actions": [{"rule": "route-general", "action": {"type": "assign"}}],
    }
    done = [
        ExecutedAction(index="0", action={"type": "assign"}, outcome="done", detail="queued in team general")
    ]
    entry = DecisionEntry(seq=1, event="conversation.created", at=AT, decision=decision, executed=done)
    text = render_text("c-1", explain(state("run-1"), [entry], {}))
    assert "conversation:acme:c-1:run-1:1:0 (the assignment desk's request id)" in text, text


def test_an_effect_handled_long_after_its_instant_says_when_it_went_out() -> None:
    """A back-dated message's breach is dated at its deadline, two days before the conversation
    existed: its notification read as sent then."""
    late = AT.replace(day=11)
    entry = breach().model_copy(update={"handled_at": late})
    text = render_text("c-1", explain(state("run-1"), [entry], {}))
    assert f"  handled   {late.isoformat()}: its effects went out then" in text, text
    on_time = render_text("c-1", explain(state("run-1"), [breach()], {}))
    assert "handled" not in on_time


def test_a_back_dated_message_says_when_the_customer_wrote_it() -> None:
    """A message the channel handed over days after it was written (`received_at`) read as written at
    its handling, after the breach it caused (helper-121)."""
    written = AT.replace(day=3)
    decision = {"rules": [], "actions": [{"rule": "ack", "action": {"type": "reply", "template": "t"}}]}
    done = [ExecutedAction(index="0", action={"type": "reply", "template": "t"}, outcome="done")]
    entry = DecisionEntry(
        seq=1, event="conversation.created", at=AT, decision=decision, executed=done,
        kpi={"channel": "email", "at": written.isoformat()},
    )  # fmt: skip
    text = render_text("c-1", explain(state("run-1"), [entry], {}))
    assert f"  written   {written.isoformat()}: the channel handed it over later" in text, text
    soon = entry.model_copy(
        update={"kpi": {"channel": "email", "at": (AT - timedelta(seconds=5)).isoformat()}}
    )
    assert "written" not in render_text("c-1", explain(state("run-1"), [soon], {}))  # within a minute
