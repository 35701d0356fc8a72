"""What another pack would have done with a recorded conversation, and its events in the simulate format.

Both start from the contexts replay captured (engine/audit/captured.py): exactly what the rules saw,
business time included. A candidate pack decides each one the way `rules simulate` and `rules diff`
do (engine/rules/simulation.py `decide_recorded`), so the export feeds those commands and gives the
same decisions as this comparison.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from engine.audit.captured import CapturedDecision
from engine.audit.chain import integral_as_int
from engine.contracts.trail import DecisionEntry
from engine.rules.context import EventType
from engine.rules.decision import CompiledPack
from engine.rules.pack import RulePack
from engine.rules.simulation import RecordedConversation, RecordedEvent, decide_recorded, format_action


class EventComparison(BaseModel):
    """One recorded event: what was decided then, and what the candidate pack decides."""

    model_config = ConfigDict(frozen=True)

    seq: int | None
    event: str
    at: datetime | None
    run_id: str
    recorded_pack_hash: str
    matched_before: list[str] = Field(default_factory=list)
    matched_after: list[str] = Field(default_factory=list)
    before: list[dict[str, Any]] = Field(default_factory=list)
    after: list[dict[str, Any]] = Field(default_factory=list)
    note: str | None = Field(default=None, description="Why the event was not compared, if it was not.")

    @property
    def changed(self) -> bool:
        """True when the candidate pack's actions differ from the recorded ones (as `rules diff` says)."""
        return self.note is None and self.before != self.after


def recorded_event(captured: CapturedDecision) -> RecordedEvent:
    """The captured context as one event of the `rules simulate` input."""
    return RecordedEvent(event=EventType(captured.event), context=captured.context, seq=captured.seq)


def whatif(captured: list[CapturedDecision], candidate: CompiledPack) -> list[EventComparison]:
    """Every captured decision, re-decided by `candidate` and set beside the recorded one."""
    rows = []
    for item in captured:
        base = {
            "seq": item.seq,
            "event": item.event,
            "at": item.at,
            "run_id": item.run_id,
            "recorded_pack_hash": item.pack_hash,
        }
        if item.decision is None:
            rows.append(EventComparison(**base, note=f"not decided then: {item.failure or 'failed'}"))
            continue
        decided = decide_recorded(candidate, recorded_event(item))
        rules = item.decision.get("rules") or []
        rows.append(
            EventComparison(
                **base,
                matched_before=[r["id"] for r in rules if r.get("outcome") == "matched"],
                matched_after=decided.matched,
                before=[a["action"] for a in item.decision.get("actions") or []],
                after=[a.action for a in decided.actions],
            )
        )
    return rows


_LEVEL = re.compile(r"^escalation level (\d+) ")


def escalations(
    trail: list[DecisionEntry], captured: list[CapturedDecision], candidate: RulePack
) -> list[EventComparison]:
    """Each recorded SLA escalation beside what the candidate's policy does at that level. No rule
    decides them (the policy does), so they were left out, and a candidate whose level 2 lowered the
    priority where the recorded one raised it read "0 of N decisions would change"."""
    rows = []
    for entry in trail:
        level = _LEVEL.match(entry.note or "") if entry.event == "sla.escalation" else None
        # The policy in force: the one the latest decision before it read.
        before = [c for c in captured if c.seq is not None and c.seq < entry.seq]
        if level is None or not before:
            continue
        last = before[-1]
        policy = candidate.sla_policies.get(str((last.context.get("sla") or {}).get("policy")))
        steps = {e.level: e.then for e in policy.escalations} if policy is not None else {}
        rows.append(
            EventComparison(
                seq=entry.seq,
                event=entry.event,
                at=entry.at,
                run_id=last.run_id,
                recorded_pack_hash=last.pack_hash,
                before=[done.action for done in entry.executed if done.index.count(".") == 1],
                after=[action.describe() for action in steps.get(int(level.group(1)), [])],
            )
        )
    return rows


TIMED_EVENTS = "sla.warning, sla.breached, sla.escalation, assignment.timeout, survey, auto-close"


def timing_caveats(recorded: dict[str, RulePack], candidate: RulePack) -> list[str]:
    """What the candidate times differently from the packs the conversation ran on: its SLA
    policies, calendars, teams' timers and settings. A what-if re-decides the recorded events; it
    does not re-time them, so "0 decisions would change" from a policy five times slower was a
    confident wrong answer."""
    changed: list[str] = []
    for pack in recorded.values():
        for section in ("sla_policies", "calendars", "teams"):
            before, after = _dumped(pack, section), _dumped(candidate, section)
            if section == "teams":  # a skill added times nothing: their calendars and timers do
                before, after = _timed_parts(before), _timed_parts(after)
            for name in sorted(set(before) | set(after)):
                if before.get(name) != after.get(name):
                    changed.append(f"{section}.{name}{_fields_changed(before.get(name), after.get(name))}")
        before, after = _dumped(pack, "settings"), _dumped(candidate, "settings")
        changed += [
            f"settings.{key}: {_plain(before.get(key))} -> {_plain(after.get(key))}"
            for key in sorted(set(before) | set(after))
            if (key.endswith("_minutes") or key == "business_hours_calendar")
            and before.get(key) != after.get(key)
        ]
    if not changed:
        return []
    shown = "; ".join(dict.fromkeys(changed))
    return [
        f"the candidate times conversations differently ({shown}): timed events ({TIMED_EVENTS}) are "
        "replayed when they were recorded, not re-timed, so what it would have timed differently "
        "is not shown"
    ]


def _dumped(pack: RulePack, section: str) -> dict[str, Any]:
    value = getattr(pack, section)
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return {k: (v.model_dump(mode="json") if isinstance(v, BaseModel) else v) for k, v in data.items()}


def _timed_parts(teams: dict[str, Any]) -> dict[str, Any]:
    return {name: {k: team.get(k) for k in ("calendar", "assignment")} for name, team in teams.items()}


def _fields_changed(before: Any, after: Any) -> str:
    if not isinstance(before, dict) or not isinstance(after, dict):
        return " added" if before is None else " removed" if after is None else " differs"
    keys = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
    return ": " + ", ".join(f"{k} {_plain(before.get(k))} -> {_plain(after.get(k))}" for k in keys)


def _plain(value: Any) -> str:
    """A setting as a pack writes it: minutes 480, not 480.0; a list or mapping as JSON, not as
    Python's repr (`[{'level': 1, 'agent': None}]`)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(integral_as_int(value), ensure_ascii=False, default=str)
    return "none" if value is None else str(value)


def to_recorded(conversation: str, captured: list[CapturedDecision]) -> RecordedConversation:
    """A conversation's decided events in the JSON-lines format `rules simulate` / `rules diff` read.

    Failed decisions are left out: there is no recorded decision to compare a pack's with.
    """
    return RecordedConversation(
        id=conversation, events=[recorded_event(c) for c in captured if c.decision is not None]
    )


def render_text(
    conversation: str, pack: str, rows: list[EventComparison], caveats: list[str] | None = None
) -> str:
    """Event by event: `=` where nothing would change, `-` what was done and `+` what would be; what
    the comparison cannot show (`timing_caveats`) first."""
    lines = [f"{conversation}: recorded decisions against the {pack}"]
    lines += [f"note: {caveat}" for caveat in caveats or []]
    for row in rows:
        where = f"#{row.seq}" if row.seq is not None else "#?"
        head = f"{where} {row.event} at {row.at.isoformat() if row.at else '-'}"
        if row.note is not None:
            lines.append(f"  {head}: {row.note}")
        elif not row.changed:
            lines.append(f"= {head}: same ({_shown(row.before)})")
        else:
            lines.append(f"~ {head}:")
            lines.append(f"    - {_shown(row.before)}   [{', '.join(row.matched_before)}]")
            lines.append(f"    + {_shown(row.after)}   [{', '.join(row.matched_after)}]")
    changed = sum(row.changed for row in rows)
    lines.append(f"{changed} of {len(rows)} decisions would change")
    return "\n".join(lines) + "\n"


def _shown(actions: list[dict[str, Any]]) -> str:
    return ", ".join(format_action(a) for a in actions) or "nothing"
