"""The timeline's table: one row per trail entry with its reasons, in words an auditor reads.

A row says which rules matched and what they read, which actions ran, for which rule, with what
outcome and detail, and for an assignment the desk's agent, strategy and reason. Values the rules
read from what the customer wrote, or about who the customer is, are personal data: the row names
the field and withholds the value (the page may be printed, mailed or kept with an audit file).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.contracts.compact_json import plain
from engine.contracts.conversation import DecisionEntry

WITHHELD = "(withheld: personal data)"
# What the customer wrote and who they are: the message, the customer's record (its CRM profile too:
# tier and lifetime value are about a person) and the survey. A value read under these is withheld
# unless it is one the service derived and names no one (triage's answers, whether the customer is
# known, the rating). A list of personal fields to withhold missed the signature in `message.quoted`,
# the customer's tier, and a rule reading a whole object (`{"var": "customer"}`) or an unknown field.
_CONTENT_ROOTS = frozenset({"", "message", "customer", "survey"})
_SHOWN_CONTENT = frozenset(
    {
        "message.intent",
        "message.intent_confidence",
        "message.language",
        "message.language_confidence",
        "message.sentiment",
        "message.sentiment_label",
        "message.auto_submitted",
        "customer.known",
        "survey.rating",
    }
)
# Who wrote, for the events that carry a message (the text itself is never shown).
# (conversation.created carries the first message too, and message.received follows it: one message.)
_SENDERS = {"message.received": "customer", "message.sent": "agent"}
_LONGEST = 120


@dataclass(frozen=True, kw_only=True)
class Reason:
    """A rule that matched, and the values it read to get there."""

    rule: str
    reads: list[tuple[str, str]]


@dataclass(frozen=True, kw_only=True)
class ActionRow:
    index: str
    rule: str | None
    action: str
    outcome: str
    detail: str | None


@dataclass(frozen=True, kw_only=True)
class AssignmentRow:
    agent: str | None
    strategy: str | None
    team: str | None
    reason: str | None
    candidates: int


@dataclass(frozen=True, kw_only=True)
class Row:
    seq: int
    at: datetime
    event: str
    thread: int
    handled_at: datetime | None
    """When its effects went out, when that was over a minute after `at` (DecisionEntry)."""
    written_at: datetime | None
    """When the customer wrote it, when the channel handed it over a minute or more later."""
    depth: int
    sender: str | None
    """customer or agent when the event is a message (its text is not shown)."""
    reasons: list[Reason] = field(default_factory=list)
    failed_rules: list[tuple[str, str]] = field(default_factory=list)
    """Rules whose condition could not be evaluated, with the error."""
    actions: list[ActionRow] = field(default_factory=list)
    assignment: AssignmentRow | None = None
    note: str | None = None
    sla_target: str | None = None
    """The SLA target a warning or breach was about, when the state tells."""
    decided: bool = True
    """False when no rule pack decided on the event (a timer's status change, an escalation step)."""
    classified: str | None = None
    """A customer message's triage as scores: every intent's probability, the language, the
    sentiment; never the words that weighed (they are the customer's)."""


def rows_of(trail: list[DecisionEntry], sla_targets: dict[int, str] | None = None) -> list[Row]:
    """The table's rows; `sla_targets` names the SLA target of warning and breach entries by seq."""
    return [_row(entry, (sla_targets or {}).get(entry.seq)) for entry in trail]


def _row(entry: DecisionEntry, sla_target: str | None) -> Row:
    decision = plain(entry.decision) if entry.decision is not None else {}
    rules = decision.get("rules") or []
    reasons = [
        Reason(rule=str(r.get("id")), reads=[(path, shown(path, value)) for path, value in _reads(r)])
        for r in rules
        if r.get("outcome") == "matched"
    ]
    failed = [(str(r.get("id")), str(r.get("error") or "")) for r in rules if r.get("outcome") == "error"]
    decided = decision.get("actions") or []
    actions = [
        ActionRow(
            index=done.index,
            rule=_rule_of(done.index, decided),
            action=_action(done.action),
            outcome=done.outcome,
            detail=done.detail,
        )
        for done in entry.executed
    ]
    return Row(
        seq=entry.seq,
        at=entry.at,
        event=entry.event,
        thread=entry.thread,
        handled_at=entry.handled_at,
        written_at=entry.written_at(),
        depth=entry.depth,
        sender=_SENDERS.get(entry.event) if entry.message_id or entry.event == "message.sent" else None,
        reasons=reasons,
        failed_rules=failed,
        actions=actions,
        assignment=_assignment(entry.assignment),
        note=entry.note,
        sla_target=sla_target,
        decided=entry.decision is not None,
        classified=_classified(plain(entry.triage)) if entry.triage else None,
    )


def _classified(triage: Mapping[str, Any]) -> str | None:
    """`intent cancellation 0.70 (general 0.20, billing 0.06); language fr 0.98; sentiment negative`:
    why `message.intent` read what it did, which the row showed only as its value (helper-118)."""
    parts = []
    scores = triage.get("intent_scores")
    if isinstance(scores, Mapping) and scores:
        ranked = sorted(scores.items(), key=lambda item: -float(item[1]))
        best = f"intent {triage.get('intent') or 'none (below the threshold)'}"
        parts.append(f"{best}: " + ", ".join(f"{name} {float(p):.2f}" for name, p in ranked))
    if triage.get("language"):
        parts.append(f"language {triage['language']} {float(triage.get('language_confidence') or 0):.2f}")
    if triage.get("sentiment_label"):
        parts.append(f"sentiment {triage['sentiment_label']}")
    return "; ".join(parts) or None


def _reads(rule: dict[str, Any]) -> list[tuple[str, Any]]:
    reads = rule.get("reads") or {}
    return list(reads.items()) if isinstance(reads, dict) else []


def shown(path: str, value: Any) -> str:
    """A value a rule read, as the page shows it: personal data withheld, long values cut."""
    if re.split(r"[.\[]", path, maxsplit=1)[0] in _CONTENT_ROOTS and path not in _SHOWN_CONTENT:
        return WITHHELD
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= _LONGEST else text[: _LONGEST - 1] + "…"


def _rule_of(index: str, decided: list[Any]) -> str | None:
    """The rule that decided executed action `index` (`2` or `2.1`: an escalation's step of action 2)."""
    head = index.split(".", 1)[0]
    if not head.isdigit() or int(head) >= len(decided):
        return None
    row = decided[int(head)]
    return str(row.get("rule")) if isinstance(row, dict) and row.get("rule") else None


def _action(action: dict[str, Any]) -> str:
    """`reply template=acknowledgement`, `set_priority urgent`: the kind and its fields in one line."""
    kind = str(action.get("type", "?"))
    fields = []
    for key, value in action.items():
        if key == "type":
            continue
        text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
        fields.append(text if key == "value" else f"{key}={text}")
    line = " ".join([kind, *fields])
    return line if len(line) <= _LONGEST else line[: _LONGEST - 1] + "…"


def _assignment(record: Mapping[str, Any] | None) -> AssignmentRow | None:
    if not record:
        return None
    record = plain(record)
    inner = record.get("assignment", record)
    if not isinstance(inner, Mapping):
        return None
    candidates = inner.get("candidates")
    return AssignmentRow(
        agent=inner.get("chosen"),
        strategy=inner.get("strategy"),
        team=inner.get("team"),
        reason=inner.get("reason"),
        candidates=len(candidates) if isinstance(candidates, list) else 0,
    )
