"""A thread's KPI values as one compact text, so a report reads a row per thread instead of its facts.

`summaries_of` measures threads from their facts exactly as a report from facts does (`threads_of`)
and encodes each `ThreadKpis` with what the store indexes it by: when it began, when it settled
(`ThreadKpis.settled_at`), and the instants of its first and last facts. `Decoder.thread` turns the
text back into the same `ThreadKpis`, equal field for field: times are whole microseconds, durations
the floats themselves (JSON keeps a float's every digit).

Business seconds depend on the calendars known when the summary was made: a summary records whether
its thread had one, and `Decoder.thread` answers None when that is no longer so (a pack published
since, or gone), or when the text is of another `VERSION`; the caller then measures that thread from
its facts.
Bump `VERSION` when `threads.py` measures differently, with a migration that marks every summary stale.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from engine.kpis.threads import Calendars, Fact, Measure, ThreadKpis, business_time, threads_of

VERSION = 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Summary:
    """One thread's encoded KPI values and what the store selects and decodes it by."""

    conversation_id: str
    life_id: str
    thread: int
    started_at: datetime
    settled_at: datetime | None
    first_at: datetime
    last_at: datetime
    pack: str | None
    calendar: str | None
    body: str


def _us(when: datetime) -> int:
    return (when - _EPOCH) // _MICROSECOND


def _measure(m: Measure | None) -> list[float | None] | None:
    return None if m is None else [m.calendar, m.business]


def encode(thread: ThreadKpis, *, measured: bool) -> str:
    """The thread as a JSON array (positions, not names: 100,000 of them are read per report); the
    pack and calendar are the store's columns, so a report loads the calendars before decoding."""
    resolved = None if thread.resolved_at is None else _us(thread.resolved_at)
    return json.dumps(
        [
            VERSION,
            measured,
            _us(thread.started_at),
            thread.channel,
            thread.team,
            thread.assignee,
            thread.priority,
            _measure(thread.first_response),
            [_measure(m) for m in thread.next_replies],
            _measure(thread.resolution),
            resolved,
            _measure(thread.requester_wait),
            _measure(thread.on_hold),
            thread.reopens,
            thread.agent_replies,
            thread.customer_messages,
            thread.sla,
            thread.survey_sent,
            thread.rating,
            [[_us(when), status] for when, status in thread.statuses],
        ],
        separators=(",", ":"),
    )


class Decoder:
    """Summaries back into `ThreadKpis`, measuring business time on the calendars known now."""

    def __init__(self, calendars: Calendars) -> None:
        self._calendars = calendars
        self._business: dict[tuple[str, str], Callable[[datetime, datetime], float | None]] = {}

    def thread(
        self, key: tuple[str, str, int], pack: str | None, calendar: str | None, body: str
    ) -> ThreadKpis | None:
        """The `ThreadKpis` a summary stands for, or None when it cannot be trusted: another version,
        or business time measured with a calendar known then but not now (or the other way round)."""
        p = json.loads(body)
        where = (pack or "", calendar or "")
        if p[0] != VERSION or p[1] != (where in self._calendars):
            return None
        business = self._business.get(where)
        if business is None:
            business = self._business[where] = business_time(self._calendars, pack, calendar)
        m = Measure
        return ThreadKpis(
            conversation_id=key[0],
            life_id=key[1],
            thread=key[2],
            started_at=_EPOCH + timedelta(microseconds=p[2]),
            channel=p[3],
            team=p[4],
            assignee=p[5],
            priority=p[6],
            first_response=None if p[7] is None else m(*p[7]),
            next_replies=[m(*n) for n in p[8]],
            resolution=None if p[9] is None else m(*p[9]),
            resolved_at=None if p[10] is None else _EPOCH + timedelta(microseconds=p[10]),
            requester_wait=None if p[11] is None else m(*p[11]),
            on_hold=None if p[12] is None else m(*p[12]),
            reopens=p[13],
            agent_replies=p[14],
            customer_messages=p[15],
            sla=p[16],
            survey_sent=p[17],
            rating=p[18],
            statuses=[(_EPOCH + timedelta(microseconds=us), status) for us, status in p[19]],
            pack=pack,
            calendar=calendar,
            business=business,
        )


def summaries_of(facts: Iterable[Fact], calendars: Calendars) -> list[Summary]:
    """Each thread of the facts, measured and encoded (facts of several conversations are fine)."""
    spans: dict[tuple[str, str, int], tuple[datetime, datetime]] = {}
    grouped: list[Fact] = []
    for fact in facts:
        key = (fact.conversation_id, fact.life_id, fact.thread)
        first, last = spans.get(key, (fact.at, fact.at))
        spans[key] = (min(first, fact.at), max(last, fact.at))
        grouped.append(fact)
    out = []
    for thread in threads_of(grouped, calendars):
        first, last = spans[(thread.conversation_id, thread.life_id, thread.thread)]
        measured = ((thread.pack or ""), (thread.calendar or "")) in calendars
        out.append(
            Summary(
                conversation_id=thread.conversation_id,
                life_id=thread.life_id,
                thread=thread.thread,
                started_at=thread.started_at,
                settled_at=thread.settled_at(),
                first_at=first,
                last_at=last,
                pack=thread.pack,
                calendar=thread.calendar,
                body=encode(thread, measured=measured),
            )
        )
    return out
