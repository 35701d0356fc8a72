"""Why each effect happened: one row per executed action, with the event, rule, values and key behind it.

Input is what the workflow keeps (its decision trail and state) and the packs the trail names, by
hash; output is typed rows, rendered as text or JSON by the CLI. Nothing is recomputed: the rule's
outcome and the values it read are the decision record's, the condition is the pinned pack's, and
the idempotency key is built the way the workflow builds it (workflows/conversation/core.py `_key`),
so an auditor can find the same key on the outbox row, the delivery ledger and the CRM write.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.audit.timeline_statuses import TIMER_STATUSES
from engine.contracts.compact_json import plain
from engine.contracts.conversation import ConversationState, DecisionEntry
from engine.rules.pack import RulePack

# What each action kind does, as an auditor names it.
EFFECTS: dict[str, str] = {
    "reply": "message",
    "add_tags": "tag added",
    "remove_tags": "tag removed",
    "set_priority": "priority",
    "route": "route",
    "assign": "assignment",
    "apply_sla": "SLA policy",
    "escalate": "escalation",
    "notify": "notification",
    "update_crm": "CRM write",
    "add_note": "CRM note",
    "schedule_survey": "survey",
    "snooze": "status change",
    "set_status": "status change",
    "close": "status change",
    "call_webhook": "webhook",
}
# The kinds whose key leaves the workflow: the channel's outbox row and delivery ledger (reply,
# notify, call_webhook), the CRM write (update_crm, add_note), the assignment desk's request (assign).
OUTBOUND = frozenset({"reply", "notify", "call_webhook", "update_crm", "add_note", "assign"})
# The notes of a `survey.due` entry whose survey message went out, or was refused (timers.py).
SURVEY_SENT_NOTES = ("survey sent", "survey not sent")


class EffectRow(BaseModel):
    """One effect of one decision, and everything that explains it."""

    model_config = ConfigDict(frozen=True)

    seq: int = Field(description="The causing event's sequence number in the conversation.")
    event: str = Field(description="The causing event's type.")
    at: datetime = Field(description="When the event happened (the workflow's clock).")
    handled_at: datetime | None = Field(
        default=None,
        description="When its effects went out, when that was over a minute after `at` (a timer "
        "whose instant had passed: a back-dated message's breach).",
    )
    written_at: datetime | None = Field(
        default=None,
        description="When the customer wrote the message, when the channel handed it over a minute or "
        "more later (its `received_at`): its SLA clock began then.",
    )
    thread: int = 1
    depth: int = Field(default=0, description="0 for an outside event; n for one raised by an action.")
    index: str = Field(description="The action's place in the decision; `2.0` is escalation 2's first.")
    effect: str = Field(description="What it did, in an auditor's words (EFFECTS).")
    action: dict[str, Any] = Field(description="The action as the decision record holds it.")
    outcome: str = Field(description="done, skipped or failed.")
    detail: str | None = None
    rule: str | None = Field(default=None, description="The rule whose match decided the action.")
    cause: str | None = Field(
        default=None,
        description="What decided an effect no rule did, as the trail notes it: an SLA policy's "
        "escalation level, the workflow's reassignment of a conversation left waiting.",
    )
    reads: dict[str, Any] = Field(default_factory=dict, description="The values the rule's condition read.")
    reads_left_out: int | None = Field(
        default=None,
        description="Bytes the decision's record would have taken when what its rules read was left out "
        "of it (engine/rules/decision.py `bounded_record`).",
    )
    condition: Any = Field(default=None, description="The rule's JSON-logic condition (None: always).")
    condition_known: bool = Field(
        default=True, description="False when the pack was not at hand to show the condition."
    )
    pack: str | None = None
    pack_hash: str | None = None
    key: str = Field(
        description="The idempotency key, as the workflow built it; empty for an assignment the desk "
        "made in answer to an earlier request (it has none of its own)."
    )
    outbound: bool = Field(description="The key went out with the effect (outbox, ledger, CRM, desk).")


def idempotency_key(state: ConversationState, seq: int, index: str) -> str:
    """The key core.py `_key` gives action `index` of event `seq`.

    Conversations that began before threads (no life id) keep `{workflow id}:{seq}:{index}`; a
    conversation whose first run predates threads and later run has them used the old shape for the
    old run's events: the trail does not say which run an entry came from, so those show the new shape.
    """
    if state.life_id:
        return f"{state.conversation_id}:{state.life_id}:{seq}:{index}"
    return f"{state.conversation_id}:{seq}:{index}"


def explain(
    state: ConversationState, trail: list[DecisionEntry], packs: Mapping[str, RulePack]
) -> list[EffectRow]:
    """Every executed action of `trail`, oldest event first, explained: those a rule decided, and
    those the workflow took on its own (an SLA policy's escalation steps, a survey come due, a
    timer's status change), with the trail's note."""
    rows: list[EffectRow] = []
    for entry in sorted(trail, key=lambda e: e.seq):
        if entry.event == "survey.due" and (entry.note or "").startswith(SURVEY_SENT_NOTES):
            rows.append(_survey_send(state, entry))
        if entry.event == "timer" and (moved := _timer_status(state, entry)) is not None:
            rows.append(moved)
        if entry.depth == 0 and (handed := _assignment_change(state, entry)) is not None:
            rows.append(handed)
        if entry.decision is None and not entry.executed:
            continue
        # decoded once: every read of the trail's record decodes it
        decision = plain(entry.decision) if entry.decision is not None else {}
        decided = decision.get("actions") or []
        outcomes = {row["id"]: row for row in decision.get("rules") or []}
        pack = packs.get(decision.get("pack_hash") or "")
        conditions = {rule.id: rule.condition for rule in pack.rules} if pack is not None else {}
        for done in entry.executed:
            top = done.index.split(".")[0]
            rule_id = decided[int(top)]["rule"] if top.isdigit() and int(top) < len(decided) else None
            kind = str(done.action.get("type"))
            outcome = outcomes.get(rule_id or "", {})
            rows.append(
                EffectRow(
                    seq=entry.seq,
                    event=entry.event,
                    at=entry.at,
                    handled_at=entry.handled_at,
                    written_at=entry.written_at(),
                    thread=entry.thread,
                    depth=entry.depth,
                    index=done.index,
                    effect=EFFECTS.get(kind, kind),
                    action=done.action,
                    outcome=done.outcome,
                    detail=done.detail,
                    rule=rule_id,
                    cause=(entry.note or "the workflow") if entry.decision is None else None,
                    reads=outcome.get("reads") or {},
                    reads_left_out=decision.get("reads_left_out"),
                    condition=conditions.get(rule_id or ""),
                    condition_known=pack is not None and rule_id in conditions,
                    pack=decision.get("pack"),
                    pack_hash=decision.get("pack_hash"),
                    key=idempotency_key(state, entry.seq, done.index),
                    outbound=kind in OUTBOUND,
                )
            )
    return rows


def _survey_send(state: ConversationState, entry: DecisionEntry) -> EffectRow:
    """The survey message the workflow sent when a `schedule_survey` came due: no action of this
    entry's decision, yet a message to the customer with its own key on the outbox and ledger."""
    note = entry.note or ""
    sent = note.startswith(SURVEY_SENT_NOTES[0])
    return _workflow_s_own(
        state,
        entry,
        effect="survey",
        action={"type": "send_survey", "template": "survey"},
        outcome="done" if sent else "failed",
        detail=None if sent else note,
        cause="the survey an earlier `schedule_survey` set, come due",
        outbound=True,
    )


def _timer_status(state: ConversationState, entry: DecisionEntry) -> EffectRow | None:
    """The status a timer moved by itself (auto-close while pending, the reopen window's end, a
    snooze's end): no rule decided it, and it was missing from "every effect"."""
    note = entry.note or ""
    status = next((s for prefix, s in TIMER_STATUSES.items() if note.startswith(prefix)), None)
    if status is None:
        return None
    action = {"type": "set_status", "value": status}
    return _workflow_s_own(state, entry, effect="status change", action=action, cause=note)


def _assignment_change(state: ConversationState, entry: DecisionEntry) -> EffectRow | None:
    """An assignment no rule of the trail made: the desk serving its queue, a person through the
    API, an agent lost. Raised by a rule's `assign`, it comes one level deeper and the rule's own
    row explains it; these said nothing ("queued ... position 2", then "kept by ana": how she got it
    was nowhere)."""
    record = plain(entry.assignment or {}).get("assignment") or {}
    team = record.get("team")
    if entry.event == "conversation.assigned" and record.get("chosen"):
        # The note names the cause (the desk, the API, the unanswered timer); trails before it are
        # read by the strategy, which an unanswered timeout's reassignment shares with the desk.
        by_hand = record.get("strategy") == "agent"
        guessed = "assigned through the API" if by_hand else f"the assignment desk served team {team}'s queue"
        cause = entry.note or guessed
        action = {"type": "assign", "agent": record["chosen"], "team": team}
        detail = record.get("reason")
    elif entry.event == "assignment.queued":
        cause, action, detail = entry.note or "queued", {"type": "assign", "team": team}, None
    elif entry.event == "conversation.unassigned" and entry.note:
        cause, action, detail = entry.note, {"type": "unassign"}, None
    else:
        return None
    row = _workflow_s_own(state, entry, effect="assignment", action=action, cause=cause, detail=detail)
    return row.model_copy(update={"key": ""})  # the desk's answer to a request: no key of its own


def _workflow_s_own(
    state: ConversationState,
    entry: DecisionEntry,
    *,
    effect: str,
    action: dict[str, Any],
    cause: str,
    outcome: str = "done",
    detail: str | None = None,
    outbound: bool = False,
) -> EffectRow:
    """The one effect of an entry no rule decided: the workflow's own, its key that of action 0."""
    return EffectRow(
        seq=entry.seq,
        event=entry.event,
        at=entry.at,
        handled_at=entry.handled_at,
        written_at=entry.written_at(),
        thread=entry.thread,
        depth=entry.depth,
        index="0",
        effect=effect,
        action=action,
        outcome=outcome,
        detail=detail,
        cause=cause,
        key=idempotency_key(state, entry.seq, "0"),
        outbound=outbound,
    )


def render_text(conversation: str, rows: list[EffectRow]) -> str:
    """The rows as an auditor reads them: one block per effect."""
    if not rows:
        return f"{conversation}: no effects\n"
    lines = [f"{conversation}: {len(rows)} effect(s)"]
    for row in rows:
        lines.append("")
        lines.append(
            f"#{row.seq} {row.event} at {row.at.isoformat()} (thread {row.thread}, depth {row.depth})"
        )
        if row.written_at is not None:  # the breach it caused came before its handling
            lines.append(f"  written   {row.written_at.isoformat()}: the channel handed it over later")
        if row.handled_at is not None:  # a notification "two days before the conversation existed"
            lines.append(f"  handled   {row.handled_at.isoformat()}: its effects went out then")
        lines.append(f"  effect    {row.effect}: {_action(row.action)} -> {row.outcome}")
        if row.detail:
            lines.append(f"  detail    {row.detail}")
        if row.cause is not None:  # no rule decided it: nothing more to show but its key
            lines.append(f"  cause     {row.cause}")
            lines.append(f"  key       {row.key}{_where(row)}")
            continue
        lines.append(f"  rule      {row.rule or '-'}")
        if row.condition_known:
            shown = "always" if row.condition is None else json.dumps(row.condition, ensure_ascii=False)
            lines.append(f"  condition {shown}")
        else:
            lines.append("  condition (pack not available)")
        for path, value in row.reads.items():
            lines.append(f"  read      {path} = {json.dumps(value, ensure_ascii=False, default=str)}")
        if row.reads_left_out and not row.reads:
            lines.append(f"  read      (left out: the record would have taken {row.reads_left_out:,} bytes)")
        lines.append(f"  pack      {row.pack or '-'} {row.pack_hash or '-'}")
        lines.append(f"  key       {row.key}{_where(row)}")
    return "\n".join(lines) + "\n"


def _where(row: EffectRow) -> str:
    """Where the key is to be found: an assignment's is the desk's request id, never an outbox row's
    (it read like the others, and an auditor looked for it among the outbox rows)."""
    if not row.key:
        return "- (none of its own: the desk's answer to a request)"
    if not row.outbound:
        return " (kept in the workflow)"
    return " (the assignment desk's request id)" if row.action.get("type") == "assign" else ""


def _action(action: dict[str, Any]) -> str:
    rest = {k: v for k, v in action.items() if k != "type"}
    return f"{action.get('type')} {json.dumps(rest, ensure_ascii=False, default=str)}"
