"""Running recorded conversations through packs without side effects: simulate and diff.

The conversations file is JSON lines, one conversation a line:
    {"id": "c-1", "events": [{"event": "conversation.created", "context": {...}}, ...]}
Each event is decided with the context recorded for it; nothing is sent, stored or changed. As live,
a status change an action makes is decided on next (`status.changed`, with the statuses, tags, team
and priority the actions left, up to the pack's `max_event_depth`), so a new `set_status` shows what
the rules on it would do; an event recorded as raised by an action (`event.depth` above 0, as
`audit export-events` gives them) is not decided again on its own. An assignment is not followed:
whether an agent takes the conversation is the desk's, which a simulation does not have.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from engine.rules.actions import Simulated, from_record
from engine.rules.case_checks import context_problems
from engine.rules.case_context import case_context
from engine.rules.context import EventType, RuleContext
from engine.rules.decision import CompiledPack, Decision
from engine.rules.loader import format_path
from engine.rules.triage.offline import with_triage


class RecordedEvent(BaseModel):
    event: EventType
    context: dict[str, Any] = Field(default_factory=dict)
    seq: int | None = Field(
        default=None,
        ge=1,
        description="Its number in the conversation's trail (`audit export-events` writes it): `rules "
        "diff` names the event by it, as `audit explain` and the timeline do.",
    )

    @model_validator(mode="after")
    def _rules_can_read_the_context(self) -> RecordedEvent:
        """A context the rules cannot read is named where the file or the request is read, as a test
        case's is: it failed deep in the simulation, a traceback on the CLI and a 500 over HTTP."""
        for path, problem, _ in context_problems("", self.event.value, self.context):
            raise PydanticCustomError("context", "{path}: {problem}", {"path": path, "problem": problem})
        return self


class RecordedConversation(BaseModel):
    id: str
    events: list[RecordedEvent]


class ConversationsFileError(ValueError):
    pass


def parse_conversations(lines: Iterable[str], name: str) -> list[RecordedConversation]:
    """The conversations of a JSON-lines file; `name` labels the line of the first bad one."""
    conversations = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            conversations.append(RecordedConversation.model_validate_json(line))
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            loc, message = list(err["loc"]), err["msg"]
            if (deeper := err.get("ctx", {}).get("path")) is not None:  # where in the event's context
                loc, message = [*loc, str(deeper)], str(err["ctx"]["problem"])
            raise ConversationsFileError(f"{name}:{lineno}: {format_path(loc)}: {message}") from None
    return conversations


def decide_recorded(pack: CompiledPack, event: RecordedEvent) -> Decision:
    context = with_triage(pack, event.context, recorded=event.event.value)
    return pack.decide(RuleContext.model_validate(case_context(event.event.value, context, pack.pack)))


def decide_with_followers(pack: CompiledPack, event: RecordedEvent) -> list[Decision]:
    """The event's decision, then those of the status changes its actions make, in order, each
    followed in turn as the workflow follows them."""
    triaged = with_triage(pack, event.context, recorded=event.event.value)
    return [decision for decision, _ in follow(pack, event.event.value, triaged)]


def follow(pack: CompiledPack, event: str, context: dict[str, Any]) -> list[tuple[Decision, RuleContext]]:
    """`event`'s decision on `context` (triaged already), then those of the status changes its
    actions make, depth first as live; each with the context it was decided on."""
    found: list[tuple[Decision, RuleContext]] = []
    _decide_and_follow(pack, event, context, found)
    return found


def _decide_and_follow(
    pack: CompiledPack, event: str, context: dict[str, Any], found: list[tuple[Decision, RuleContext]]
) -> None:
    decided_on = RuleContext.model_validate(case_context(event, context, pack.pack))
    decision = pack.decide(decided_on)
    found.append((decision, decided_on))
    depth = int((context.get("event") or {}).get("depth") or 0)
    if depth >= pack.pack.settings.max_event_depth:
        return
    conversation = dict(context.get("conversation") or {})
    sim = Simulated(
        tags=list(conversation.get("tags") or []),
        team=conversation.get("team"),
        priority=str(conversation.get("priority") or "normal"),
        status=str(conversation.get("status") or "open"),
    )
    changes = []
    for decided in decision.actions:
        before = sim.status
        from_record(decided.action).simulate(sim)
        if sim.status != before:
            changes.append((before, sim.status))
    for previous, status in changes:
        after = {
            **conversation,
            "status": status,
            "tags": sim.tags,
            "team": sim.team,
            "priority": sim.priority,
        }
        raised = {
            "time": (context.get("event") or {}).get("time"),
            "depth": depth + 1,
            "previous_status": previous,
        }
        follower = {
            **context,
            "conversation": after,
            "event": {k: v for k, v in raised.items() if v is not None},
        }
        _decide_and_follow(pack, "status.changed", follower, found)


def _outside(events: list[RecordedEvent]) -> list[tuple[int, RecordedEvent]]:
    """The events from outside (not raised by an action), with their index in the recording."""
    return [
        (i, ev) for i, ev in enumerate(events) if not int((ev.context.get("event") or {}).get("depth") or 0)
    ]


@dataclass
class Totals:
    conversations: int = 0
    events: int = 0
    tagged: int = 0
    replied: int = 0
    escalated: int = 0
    surveyed: int = 0
    closed: int = 0
    errors: int = 0
    routed: Counter[str] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)

    def add(self, decisions: list[Decision]) -> None:
        """Count one conversation: what its decisions' actions would have done, on paper."""
        sim = Simulated()
        for decision in decisions:
            for decided in decision.actions:
                from_record(decided.action).simulate(sim)
        self.conversations += 1
        self.events += len(decisions)
        self.tagged += sim.tagged
        self.replied += sim.replied
        self.escalated += sim.escalated
        self.surveyed += sim.surveyed
        self.closed += sim.closed
        self.errors += sum(1 for dec in decisions for r in dec.rules if r.outcome == "error")
        if sim.routed_to is not None:
            self.routed[sim.routed_to] += 1
        self.tags.update(sim.added_tags)


def simulate(
    pack: CompiledPack, conversations: list[RecordedConversation]
) -> tuple[list[dict[str, Any]], Totals]:
    totals = Totals()
    rows = []
    for conv in conversations:
        decisions = [d for _, ev in _outside(conv.events) for d in decide_with_followers(pack, ev)]
        totals.add(decisions)
        rows.append(
            {
                "id": conv.id,
                "events": [
                    {"event": dec.event, "matched": dec.matched, "actions": [d.action for d in dec.actions]}
                    for dec in decisions
                ],
            }
        )
    return rows, totals


@dataclass
class Change:
    conversation: str
    event_index: int
    event: str
    seq: int | None
    before: list[dict[str, Any]]
    after: list[dict[str, Any]]
    matched_before: list[str]
    matched_after: list[str]


def diff(old: CompiledPack, new: CompiledPack, conversations: list[RecordedConversation]) -> list[Change]:
    """Every recorded event whose actions differ between the two packs (with the status changes
    they make and the rules on those: `decide_with_followers`)."""
    changes = []
    for conv in conversations:
        for i, ev in _outside(conv.events):
            a, b = decide_with_followers(old, ev), decide_with_followers(new, ev)
            before = [d.action for dec in a for d in dec.actions]
            after = [d.action for dec in b for d in dec.actions]
            if before != after:
                matched_a = [r for dec in a for r in dec.matched]
                matched_b = [r for dec in b for r in dec.matched]
                changes.append(
                    Change(conv.id, i, ev.event.value, ev.seq, before, after, matched_a, matched_b)
                )
    return changes


def format_action(action: dict[str, Any]) -> str:
    rest = {k: v for k, v in action.items() if k != "type"}
    if set(rest) == {"value"}:
        return f"{action['type']}({json.dumps(rest['value'], ensure_ascii=False)})"
    return (
        f"{action['type']}({', '.join(f'{k}={json.dumps(v, ensure_ascii=False)}' for k, v in rest.items())})"
    )
