"""A conversation's timeline for auditors: SLA clocks on a time axis, with their pauses and markers.

Input: the conversation's state and its decision trail (and the pause statuses of its SLA policy);
output: a typed `Timeline` with x positions, which the service renders as inline SVG and tables
(engine/service/audit_timeline.py). Nothing here reads a clock: `now` comes in, so the same input
draws the same page.

Clocks are not recorded interval by interval: the state keeps each target's deadline, warning,
breach and met instants, and the trail keeps the status changes. A clock runs from the moment its
policy was applied to the moment it was met or breached, except while the status was one of the
policy's `pause_on`. What the customer and agents wrote is personal data: the timeline shows who
wrote and when, never the text (engine/audit/timeline_rows.py withholds it from the reasons too).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from engine.audit.timeline_rows import Row, rows_of
from engine.audit.timeline_statuses import status_at, status_changes
from engine.contracts.conversation import ConversationState, DecisionEntry
from engine.contracts.sla_state import SlaTarget

WIDTH = 960.0
"""Width of the drawing area of the chart, in SVG user units (the labels sit left of it)."""
LABEL_WIDTH = 150.0
"""Room left of the axis for the lane names."""

# Steps the axis may tick at: the first that gives at most MAX_TICKS ticks wins.
_STEPS = [
    timedelta(seconds=s)
    for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
] + [timedelta(days=d) for d in (2, 7, 14, 30, 90, 365)]
MAX_TICKS = 10

# Trail events drawn on the events lane, with the marker kind and the words a person reads.
_EVENT_MARKERS = {
    "message.received": ("customer", "customer message"),
    "message.sent": ("agent", "agent reply"),
    "message.delivery_failed": ("warning", "send failed"),
    "sla.warning": ("warning", "SLA warning"),
    "sla.breached": ("breach", "SLA breached"),
    "sla.escalation": ("escalation", "escalation"),
    "conversation.assigned": ("assignment", "assigned"),
    "assignment.timeout": ("assignment", "unanswered"),
    "survey.due": ("survey", "survey"),
    "survey.completed": ("survey", "survey answered"),
    "survey.expired": ("survey", "survey expired"),
}


@dataclass(frozen=True, kw_only=True)
class Tick:
    at: datetime
    x: float
    label: str


@dataclass(frozen=True, kw_only=True)
class Span:
    """An interval on a lane: a clock running or paused, or a status held."""

    start: datetime
    end: datetime
    x: float
    width: float
    kind: str
    """running or paused (clock lanes); the status name (status lane)."""
    label: str


@dataclass(frozen=True, kw_only=True)
class Marker:
    at: datetime
    x: float
    kind: str
    """warning, breach, met, deadline, customer, agent, escalation, assignment, survey."""
    label: str


@dataclass(frozen=True, kw_only=True)
class ClockLane:
    """One SLA target's clock."""

    name: str
    target_minutes: float
    outcome: str
    """met, breached, running or paused."""
    spans: list[Span]
    markers: list[Marker]


@dataclass(frozen=True, kw_only=True)
class Timeline:
    conversation_id: str
    channel: str
    status: str
    priority: str
    team: str | None
    assignee: str | None
    pack_hash: str | None
    policy: str | None
    pause_on: list[str]
    escalation_level: int
    customer_messages: int
    agent_messages: int
    survey: str
    """What became of the survey, in words (rating included, never the comment)."""
    thread: int
    """The thread the header's counts, survey and clocks are of (the axis and trail show them all)."""
    earlier_threads: list[str]
    """Each closed thread in words: when it ran, its messages, whether its SLA was breached."""
    start: datetime
    end: datetime
    drawn_at: datetime
    ticks: list[Tick]
    statuses: list[Span]
    clocks: list[ClockLane]
    events: list[Marker]
    rows: list[Row]
    width: float = WIDTH
    label_width: float = LABEL_WIDTH
    notes: list[str] = field(default_factory=list)
    """What the page could not know (e.g. status changes recorded before the trail named them)."""


def build_timeline(
    state: ConversationState, trail: list[DecisionEntry], *, pause_on: list[str], now: datetime
) -> Timeline:
    """The timeline of `state` and its `trail` (oldest first), drawn as of `now`."""
    trail = sorted(trail, key=lambda e: e.seq)
    notes: list[str] = []
    changes = status_changes(trail, notes)
    # A clock starts when the customer wrote (`received_at`), which may be well before the trail's
    # first entry (a channel that delivered late, a backfill): the page begins there, in UTC.
    started = [t.started_at for t in state.sla.targets.values() if t.started_at is not None]
    written = [state.first_customer_message_at] if state.first_customer_message_at else []
    start = min([state.created_at, *(e.at for e in trail), *started, *written]).astimezone(UTC)
    instants = [e.at for e in trail] + [state.updated_at]
    for t in state.sla.targets.values():
        instants += [i for i in (t.deadline, t.warning_at, t.breached_at, t.met_at) if i is not None]
    instants += [i for i in (state.survey.due_at, state.survey.sent_at) if i is not None]
    if any(_open(t) for t in state.sla.targets.values()):
        instants.append(now)
    end = max(instants)
    if end <= start:
        end = start + timedelta(seconds=1)
    scale = _Scale(start, end)
    # What the status has been, up to now: the axis may go on to a deadline still ahead.
    status_spans = _status_spans(state, changes, start, min(end, max(now, start)), scale)
    # The clocks are the current thread's: drawn from its own policy's start, not the first thread's
    # (days of a closed thread were drawn as a clock running).
    current = [e for e in trail if e.thread == state.thread]
    applied = _policy_applied(current)
    began = current[0].at if current and state.thread > 1 else state.created_at
    clocks = [
        _clock(t, changes, pause_on, applied, began, now, scale)
        for t in sorted(state.sla.targets.values(), key=lambda t: _TARGET_ORDER.get(t.name, 9))
    ]
    return Timeline(
        conversation_id=state.external_id,
        channel=state.channel.value,
        status=state.status.value,
        priority=state.priority,
        team=state.team,
        assignee=state.assignee,
        pack_hash=state.pack_hash,
        policy=state.sla.policy,
        pause_on=list(pause_on),
        escalation_level=state.escalation_level,
        customer_messages=state.customer_messages,
        agent_messages=state.agent_messages,
        survey=_survey(state),
        thread=state.thread,
        earlier_threads=[
            f"thread {t.thread}: {t.started_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} to "
            f"{f'{t.closed_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}' if t.closed_at else 'its close'} UTC, "
            f"{t.customer_messages} from the customer, {t.agent_messages} from agents, "
            f"SLA {'breached' if t.sla_breached else 'not breached'}"
            for t in state.threads
        ],
        start=start,
        end=end,
        drawn_at=now,
        ticks=scale.ticks(),
        statuses=status_spans,
        clocks=clocks,
        events=_event_markers(trail, scale),
        rows=rows_of(trail, sla_targets_of(state, trail)),
        notes=notes,
    )


_TARGET_ORDER = {"first_response": 0, "next_response": 1, "resolution": 2}
_STOPS = frozenset({"solved", "closed"})
"""Statuses that end a thread's clocks; a reopen starts them again."""


class _Scale:
    """Instants to x positions on [0, WIDTH]."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.end = start, end
        self.seconds = (end - start).total_seconds()

    def x(self, at: datetime) -> float:
        return round(WIDTH * min(max((at - self.start).total_seconds() / self.seconds, 0.0), 1.0), 2)

    def span(self, start: datetime, end: datetime, kind: str, label: str) -> Span:
        x0, x1 = self.x(start), self.x(end)
        return Span(start=start, end=end, x=x0, width=round(x1 - x0, 2), kind=kind, label=label)

    def ticks(self) -> list[Tick]:
        step = next((s for s in _STEPS if self.seconds / s.total_seconds() < MAX_TICKS), _STEPS[-1])
        epoch = datetime(2000, 1, 1, tzinfo=self.start.tzinfo)
        first = epoch + step * -(-(self.start - epoch) // step)  # the first multiple of step from start
        daily = self.seconds >= 86400 or step >= timedelta(days=1)
        shown = "%m-%d %H:%M" if daily else "%H:%M:%S"
        ticks, at = [], first
        while at <= self.end:
            ticks.append(Tick(at=at, x=self.x(at), label=at.strftime(shown)))
            at += step
        return ticks


def _status_spans(
    state: ConversationState,
    changes: list[tuple[datetime, str]],
    start: datetime,
    end: datetime,
    scale: _Scale,
) -> list[Span]:
    bounds = [(start, "open"), *((at, s) for at, s in changes if start <= at <= end)]
    spans = []
    for (at, status), (until, _) in zip(bounds, [*bounds[1:], (end, "")], strict=True):
        if until > at:
            spans.append(scale.span(at, until, status, status.replace("_", " ")))
    return spans


def _policy_applied(trail: list[DecisionEntry]) -> datetime | None:
    """When an `apply_sla` action first started the policy's clocks."""
    for entry in trail:
        if any(d.action.get("type") == "apply_sla" and d.outcome == "done" for d in entry.executed):
            return entry.at
    return None


def _open(target: SlaTarget) -> bool:
    return target.met_at is None and target.breached_at is None


def _clock(
    target: SlaTarget,
    changes: list[tuple[datetime, str]],
    pause_on: list[str],
    applied: datetime | None,
    began: datetime,
    now: datetime,
    scale: _Scale,
) -> ClockLane:
    """`applied`: when the thread's policy started its clocks; `began`: when the thread began."""
    known = [i for i in (target.started_at, target.paused_at) if i is not None]
    begin = applied if applied is not None and target.name != "next_response" else None
    if begin is None or (known and min(known) < begin):
        begin = min(known) if known else began
    started = target.started_at
    if started is not None and any(begin < at < started and s in _STOPS for at, s in changes):
        begin = started  # restarted by a reopen: solved, it was not running (it was met)
    if begin < scale.start:
        begin = scale.start
    finish = target.met_at or target.breached_at or max(now, begin)
    outcome = (
        "met"
        if target.met_at
        else "breached"
        if target.breached_at
        else "running"
        if target.running
        else "paused"
    )
    spans: list[Span] = []
    cuts = [begin, *(at for at, _ in changes if begin < at < finish), finish]
    for at, until in itertools.pairwise(cuts):
        paused = status_at(changes, at) in pause_on
        kind = "paused" if paused else "running"
        if spans and spans[-1].kind == kind:
            spans[-1] = scale.span(spans[-1].start, until, kind, kind)
        elif until > at:
            spans.append(scale.span(at, until, kind, kind))
    markers = []
    if target.warned and target.warning_at is not None:
        markers.append(
            Marker(at=target.warning_at, x=scale.x(target.warning_at), kind="warning", label="warning")
        )
    if target.running and target.deadline is not None:
        markers.append(Marker(at=target.deadline, x=scale.x(target.deadline), kind="deadline", label="due"))
    if target.breached_at is not None:
        at = target.breached_at
        label = f"breached {at.astimezone(UTC):%H:%M:%S}"
        markers.append(Marker(at=at, x=scale.x(at), kind="breach", label=label))
    if target.met_at is not None:
        markers.append(Marker(at=target.met_at, x=scale.x(target.met_at), kind="met", label="met"))
    return ClockLane(
        name=target.name, target_minutes=target.target_minutes, outcome=outcome, spans=spans, markers=markers
    )


def _event_markers(trail: list[DecisionEntry], scale: _Scale) -> list[Marker]:
    markers = []
    for entry in trail:
        shown = _EVENT_MARKERS.get(entry.event)
        if shown is not None:
            kind, label = shown
            at = entry.written_at() or entry.at  # a back-dated message where the customer wrote it
            markers.append(Marker(at=at, x=scale.x(at), kind=kind, label=label))
        for done in entry.executed:  # automatic replies are messages to the customer too
            if done.action.get("type") == "reply" and done.outcome == "done":
                markers.append(Marker(at=entry.at, x=scale.x(entry.at), kind="auto", label="automatic reply"))
    return markers


def sla_targets_of(state: ConversationState, trail: list[DecisionEntry]) -> dict[int, str]:
    """Which target each `sla.warning` / `sla.breached` entry was about, where the state tells.

    The trail does not name it (the rules' context did); a breach happens at its target's deadline
    and a warning at its warning instant, and the state keeps those instants.
    """
    found = {}
    for entry in trail:
        for t in state.sla.targets.values():
            if entry.event == "sla.breached" and t.breached_at == entry.at:
                found[entry.seq] = t.name
            if entry.event == "sla.warning" and t.warned and t.warning_at == entry.at:
                found[entry.seq] = t.name
    return found


def _survey(state: ConversationState) -> str:
    survey = state.survey
    if survey.status == "completed" and survey.rating is not None:
        return f"completed, rating {survey.rating} of 5"
    if survey.status == "sent" and survey.sent_at is not None:
        return f"sent {survey.sent_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC, no answer yet"
    return survey.status
