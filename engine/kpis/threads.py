"""One conversation's facts -> each thread's KPI values, in calendar and business seconds (docs/kpis.md).

Pure: the caller hands in the facts and the business calendars by (pack hash, calendar name); a
thread whose calendar is not given has calendar time only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate
from typing import Any, NamedTuple, Protocol

from engine.calendar import BusinessCalendar
from engine.kpis import facts as k

RESOLVED = ("solved", "closed")
SLA_TARGETS = ("first_response", "next_response", "resolution")
POSITIVE_RATING = 4


class Fact(Protocol):
    """What the computation reads of a fact: `KpiFact`, or a row the store read without validating."""

    @property
    def conversation_id(self) -> str: ...
    @property
    def life_id(self) -> str: ...
    @property
    def thread(self) -> int: ...
    @property
    def seq(self) -> int: ...
    @property
    def part(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def data(self) -> dict[str, Any]: ...


class Measure(NamedTuple):
    """A duration in calendar seconds and in business seconds (None: no calendar for the thread).

    A tuple: a report over 100,000 threads builds several per thread, and tuples are the cheapest to
    build and the only ones the garbage collector stops tracking."""

    calendar: float
    business: float | None


@dataclass(slots=True)
class ThreadKpis:
    """Everything the report needs of one thread; `status_at` answers the backlog. Slotted: a report
    over 100,000 threads builds (or decodes from summaries) one per thread."""

    conversation_id: str
    life_id: str
    thread: int
    started_at: datetime
    channel: str | None = None
    team: str | None = None
    assignee: str | None = None
    priority: str | None = None
    first_response: Measure | None = None
    next_replies: list[Measure] = field(default_factory=list)
    resolution: Measure | None = None
    resolved_at: datetime | None = None
    requester_wait: Measure | None = None
    on_hold: Measure | None = None
    reopens: int = 0
    agent_replies: int = 0
    customer_messages: int = 0
    sla: dict[str, str] = field(default_factory=dict)
    survey_sent: bool = False
    rating: int | None = None
    statuses: list[tuple[datetime, str]] = field(default_factory=list)
    pack: str | None = None
    calendar: str | None = None
    business: Callable[[datetime, datetime], float | None] = lambda a, b: None

    @property
    def one_touch(self) -> bool:
        """Resolved with exactly one agent reply (automatic replies do not count)."""
        return self.resolved_at is not None and self.agent_replies == 1

    def status_at(self, at: datetime) -> str | None:
        """The thread's status at an instant (None before it began)."""
        if at < self.started_at:
            return None
        current = "open"
        for when, status in self.statuses:
            if when > at:
                break
            current = status
        return current

    def settled_at(self) -> datetime | None:
        """The instant from which `status_at` answers solved or closed at every later instant (None: the
        thread may be waiting at some instant however late), so the backlog of any later instant can
        leave the thread out without asking `status_at`.

        `status_at(x)` applies the statuses in recorded order up to the first one after `x`, so the
        state after the i-th status holds from the latest instant among the first i+1 statuses until a
        later status's instant exceeds it (a state never holds when the next status's prefix maximum is
        the same instant)."""
        statuses = self.statuses
        if not statuses or statuses[-1][1] not in RESOLVED:
            return None  # its last state holds for ever: waiting
        if len(statuses) == 1:
            return statuses[0][0]
        maxima = list(accumulate((when for when, _ in statuses), max))
        settled: datetime | None = None
        for i in reversed(range(len(statuses))):
            if i + 1 < len(maxima) and maxima[i] == maxima[i + 1]:
                continue  # overtaken at the instant it begins: never observed
            if statuses[i][1] not in RESOLVED:
                break
            settled = maxima[i]
        return settled

    def measure(self, start: datetime, end: datetime) -> Measure:
        return Measure((end - start).total_seconds(), self.business(start, end))


Calendars = Mapping[tuple[str, str], BusinessCalendar]


def business_time(
    calendars: Calendars, pack: str | None, name: str | None
) -> Callable[[datetime, datetime], float | None]:
    """Business seconds between two instants on the thread's calendar (None when it is not given)."""
    calendar = calendars.get((pack or "", name or ""))
    if calendar is None:
        return lambda a, b: None
    return lambda a, b: calendar.elapsed(a, b).total_seconds() if b > a else 0.0


def _time_in(thread: ThreadKpis, wanted: tuple[str, ...], end: datetime) -> Measure:
    """Calendar and business time the thread spent in the `wanted` statuses from its start to `end`."""
    calendar, business = 0.0, 0.0
    has_business = True
    current, since = "open", thread.started_at
    for when, status in [*thread.statuses, (end, "")]:
        when = min(when, end)
        if current in wanted and when > since:
            part = thread.measure(since, when)
            calendar += part.calendar
            if part.business is None:
                has_business = False
            else:
                business += part.business
        current, since = status, max(since, when)
        if when >= end:
            break
    return Measure(calendar, business if has_business else None)


def threads_of(facts: Iterable[Fact], calendars: Calendars) -> list[ThreadKpis]:
    """Each thread of the facts' conversations, measured (facts of several conversations are fine)."""
    grouped: dict[tuple[str, str, int], list[Fact]] = {}
    for fact in facts:
        grouped.setdefault((fact.conversation_id, fact.life_id, fact.thread), []).append(fact)
    return [_thread(key, sorted(f, key=lambda x: (x.seq, x.part)), calendars) for key, f in grouped.items()]


def _holder(facts: list[Fact]) -> str | None:
    """Who holds the thread: the latest assignment fact says (nobody, once unassigned), else the
    assignee the latest fact's view names."""
    for fact in reversed(facts):
        if fact.kind in (k.ASSIGNED, k.UNASSIGNED):
            return fact.data.get(k.HOLDER) or None
        if fact.data.get("assignee"):
            return str(fact.data["assignee"])
    return None


def _thread(key: tuple[str, str, int], facts: list[Fact], calendars: Calendars) -> ThreadKpis:
    created = next((f for f in facts if f.kind == k.CREATED), facts[0])
    last = facts[-1].data
    thread = ThreadKpis(
        conversation_id=key[0],
        life_id=key[1],
        thread=key[2],
        started_at=created.at,
        channel=last.get("channel"),
        team=next((f.data["team"] for f in reversed(facts) if f.data.get("team")), None),
        assignee=_holder(facts)
        or next((f.data["agent"] for f in reversed(facts) if f.data.get("agent")), None),
        priority=last.get("priority"),
        pack=last.get("pack"),
        calendar=last.get("calendar"),
        business=business_time(calendars, last.get("pack"), last.get("calendar")),
    )
    applied: set[str] = set()
    breached: set[str] = set()
    replied = False
    waiting: datetime | None = None
    for fact in facts:
        applied.update(fact.data.get("sla") or {})
        if fact.kind == k.CUSTOMER_MESSAGE:
            thread.customer_messages += 1
            if replied and waiting is None:
                waiting = fact.at
        elif fact.kind == k.AGENT_REPLY:
            thread.agent_replies += 1
            if not replied:
                thread.first_response = thread.measure(thread.started_at, fact.at)
            elif waiting is not None:
                thread.next_replies.append(thread.measure(waiting, fact.at))
            replied, waiting = True, None
        elif fact.kind == k.STATUS and fact.data.get("to"):
            thread.statuses.append((fact.at, fact.data["to"]))
        elif fact.kind == k.REOPENED:
            thread.reopens += 1
        elif fact.kind == k.SLA_BREACHED and fact.data.get("target"):
            breached.add(fact.data["target"])
        elif fact.kind == k.SURVEY_SENT:
            thread.survey_sent = True
        elif fact.kind == k.SURVEY_FAILED:
            thread.survey_sent = False  # counted as sent when its send went to the background
        elif fact.kind == k.SURVEY_COMPLETED and fact.data.get("rating") is not None:
            thread.rating = int(fact.data["rating"])
    _resolve(thread)
    for target in SLA_TARGETS:
        if target in breached:
            thread.sla[target] = "breached"
        elif target in applied and _stopped(thread, target, replied):
            thread.sla[target] = "achieved"
    return thread


def _resolve(thread: ThreadKpis) -> None:
    """Resolution: the last time the thread became solved (or closed), if it still is."""
    previous = "open"
    for when, status in thread.statuses:
        if status in RESOLVED and previous not in RESOLVED:
            thread.resolved_at = when
        previous = status
    if previous not in RESOLVED:
        thread.resolved_at = None
    if thread.resolved_at is not None:
        thread.resolution = thread.measure(thread.started_at, thread.resolved_at)
        thread.requester_wait = _time_in(thread, ("open", "on_hold"), thread.resolved_at)
        thread.on_hold = _time_in(thread, ("on_hold",), thread.resolved_at)


def _stopped(thread: ThreadKpis, target: str, replied: bool) -> bool:
    """Whether a target that did not breach is over (so it counts as achieved)."""
    if target == "first_response":
        return replied or thread.resolved_at is not None
    return thread.resolved_at is not None
