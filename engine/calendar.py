"""Business-hours calendars and the arithmetic of business time.

A calendar turns weekly opening hours, a time zone and holidays into a timeline: the sorted, merged
real-time intervals during which the business is open, with a running total of open time before each
interval. Every question is then a binary search on that timeline:

- `deadline(start, d)`: the open time before `start`, plus d, located on the timeline;
- `elapsed(a, b)`: the open time before b minus the open time before a;
- `is_open(t)`, `next_open(t)`: the interval at or after t.

So a call costs O(log n) in the number of intervals, whatever the duration; the timeline is built
lazily, a year at a time, and kept on the calendar. All arithmetic is in integer microseconds since
the Unix epoch, so results are exact to the microsecond.

Building that first year is what a calendar costs (about 500 times one deadline on a warm one), so
`shared_calendar(doc)` keeps one calendar per distinct document per process: every pack hash (and
every validation) with the same calendar reuses its timeline. A calendar may therefore be used by
several threads at once (the worker's rule activities run in threads): its methods take a lock.

Wall-clock endpoints become instants exactly as zoneinfo does with fold=0: a time inside a
spring-forward gap takes the offset from before the gap, an ambiguous autumn time its first
occurrence. A range that collapses to nothing on a DST night (e.g. 02:00-03:00 in Berlin on the night
the clocks go forward) simply contributes no open time.
"""

from __future__ import annotations

import bisect
import pickle
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine.calendar_document import (
    WEEKDAYS,
    CalendarError,
    OpeningRange,
    read_document,
    region_holidays,
)
from engine.shared_values import SharedValues

__all__ = ["WEEKDAYS", "BusinessCalendar", "CalendarError", "OpeningRange", "shared_calendar"]

SEARCH_LIMIT = timedelta(days=3 * 366)  # "no business time within 3 years" is an error
_CHUNK_DAYS = 366
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


@dataclass
class _Timeline:
    """Merged open intervals over the local dates [first_date, end_date), with prefix sums."""

    first_date: date
    end_date: date
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    before: list[int] = field(default_factory=lambda: [0])  # open µs before interval i; len n+1


class BusinessCalendar:
    """Weekly opening hours in a time zone, minus holidays. Build with `from_dict`."""

    def __init__(
        self,
        zone: ZoneInfo,
        week: tuple[tuple[OpeningRange, ...], ...],
        holidays: frozenset[date] = frozenset(),
        regions: tuple[tuple[str, str | None], ...] = (),
    ) -> None:
        self.zone = zone
        self.week = week
        self.holidays = holidays
        self.regions = regions
        self._region_years: set[int] = set()
        self._region_days: set[date] = set()
        self._timeline: _Timeline | None = None
        self._lock = threading.Lock()  # the timeline is extended in place

    @classmethod
    def from_dict(cls, doc: Any) -> BusinessCalendar:
        """The calendar a document describes; CalendarError names its first problem, and the
        others in `also`."""
        zone, week, holidays, regions = read_document(doc)
        return cls(zone, week, holidays, regions)

    # -- the public contract -------------------------------------------------------------------

    def deadline(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest t >= start at which the open time inside [start, t] equals `duration`."""
        with self._lock:
            t0 = _to_us(start, "start")
            if duration < timedelta(0):
                raise ValueError("duration must not be negative")
            if duration == timedelta(0):
                return start.astimezone(self.zone)
            timeline = self._cover(t0)
            origin = self._position(timeline, t0)
            target = origin + duration // _US
            while timeline.before[-1] < target:
                self._extend_or_fail(timeline, t0, nothing_after=timeline.before[-1] == origin)
            i = bisect.bisect_left(timeline.before, target, lo=1) - 1
            return _from_us(timeline.starts[i] + (target - timeline.before[i])).astimezone(self.zone)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Open time inside [start, end]; zero when end <= start."""
        with self._lock:
            a, b = _to_us(start, "start"), _to_us(end, "end")
            if b <= a:
                return timedelta(0)
            timeline = self._cover(a)
            self._cover_until(timeline, b)
            return timedelta(microseconds=self._position(timeline, b) - self._position(timeline, a))

    def is_open(self, at: datetime) -> bool:
        """Open at an interval's start, closed at its end."""
        with self._lock:
            t = _to_us(at, "at")
            timeline = self._cover(t)
            i = bisect.bisect_right(timeline.starts, t) - 1
            return i >= 0 and t < timeline.ends[i]

    def next_open(self, at: datetime) -> datetime:
        """`at` itself when open, else the start of the next open interval."""
        with self._lock:
            t = _to_us(at, "at")
            timeline = self._cover(t)
            i = bisect.bisect_right(timeline.starts, t) - 1
            if i >= 0 and t < timeline.ends[i]:
                return at.astimezone(self.zone)
            while i + 1 >= len(timeline.starts):
                self._extend_or_fail(timeline, t, nothing_after=True)
            return _from_us(timeline.starts[i + 1]).astimezone(self.zone)

    # -- the timeline --------------------------------------------------------------------------

    def _local_date(self, t: int) -> date:
        return _from_us(t).astimezone(self.zone).date()

    def _cover(self, t: int) -> _Timeline:
        """A timeline holding every interval that starts at or before t (rebuilt further back if needed)."""
        # Intervals of date D lie within [D, D+2): those covering t start on t's date or the one before.
        first_needed = self._local_date(t) - timedelta(days=1)
        timeline = self._timeline
        if timeline is None or first_needed < timeline.first_date:
            end = first_needed + timedelta(days=_CHUNK_DAYS)
            if timeline is not None:
                end = max(end, timeline.end_date)
            timeline = _Timeline(first_needed - timedelta(days=7), first_needed - timedelta(days=7))
            self._append_dates(timeline, end)
            self._timeline = timeline
        self._cover_until(timeline, t)
        return timeline

    def _cover_until(self, timeline: _Timeline, t: int) -> None:
        """Extend until every interval starting at or before t is on the timeline."""
        while timeline.end_date <= self._local_date(t):
            self._extend_forward(timeline)

    def _extend_or_fail(self, timeline: _Timeline, t: int, *, nothing_after: bool) -> None:
        """Extend the timeline by a chunk, unless it already reaches 3 years past t with no open time."""
        if nothing_after and timeline.end_date > self._local_date(t + SEARCH_LIMIT // _US):
            raise ValueError(f"no business time within 3 years of {_from_us(t).isoformat()}")
        self._extend_forward(timeline)

    def _extend_forward(self, timeline: _Timeline) -> None:
        self._append_dates(timeline, timeline.end_date + timedelta(days=_CHUNK_DAYS))

    def _append_dates(self, timeline: _Timeline, end_date: date) -> None:
        starts, ends, before = timeline.starts, timeline.ends, timeline.before
        day = timeline.end_date
        while day < end_date:
            if not self._is_holiday(day):
                for r in self.week[day.weekday()]:
                    s = self._wall_us(day, r.start)
                    e = self._wall_us(day, r.end)
                    if e <= s:
                        continue  # collapsed on a DST night
                    if starts and s <= ends[-1]:
                        if e > ends[-1]:
                            before[-1] += e - ends[-1]
                            ends[-1] = e
                        continue
                    starts.append(s)
                    ends.append(e)
                    before.append(before[-1] + (e - s))
            day += timedelta(days=1)
        timeline.end_date = end_date

    def _wall_us(self, day: date, minutes: int) -> int:
        days, minutes = divmod(minutes, 1440)
        d = day + timedelta(days=days)
        local = datetime(d.year, d.month, d.day, minutes // 60, minutes % 60, tzinfo=self.zone)
        return (local - _EPOCH) // _US

    def _is_holiday(self, day: date) -> bool:
        if day in self.holidays:
            return True
        if self.regions and day.year not in self._region_years:
            for country, subdiv in self.regions:
                self._region_days.update(region_holidays(country, subdiv, day.year))
            self._region_years.add(day.year)
        return day in self._region_days

    @staticmethod
    def _position(timeline: _Timeline, t: int) -> int:
        """Open microseconds on the timeline before instant t."""
        i = bisect.bisect_right(timeline.starts, t) - 1
        if i < 0:
            return 0
        return timeline.before[i] + min(t, timeline.ends[i]) - timeline.starts[i]


def _to_us(value: datetime, name: str) -> int:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return (value - _EPOCH) // _US


def _from_us(t: int) -> datetime:
    return _EPOCH + timedelta(microseconds=t)


SHARED_CALENDARS = 256
"""Distinct calendar documents `shared_calendar` keeps (least recently used first out): a few per
pack, and a worker holds few packs; each calendar is a few KiB per year of timeline it has built."""

_shared: SharedValues[bytes, BusinessCalendar] = SharedValues(SHARED_CALENDARS)


def shared_calendar(doc: Mapping[str, Any]) -> BusinessCalendar:
    """The process's calendar for this document, built on first use (CalendarError if invalid).

    Keyed by the document's content, which the pack hash covers: every pack hash, and every
    validation of a pack, with the same calendar gets the same calendar and its warm timeline.
    The key is the document pickled (never unpickled: pickle is only the fastest faithful
    serialization at hand, 4-7x json.dumps); equal documents built differently (keys in another
    order) may get two calendars, never two documents one.
    """
    try:
        key = pickle.dumps(doc, protocol=5)
    except (pickle.PicklingError, TypeError, AttributeError):
        return BusinessCalendar.from_dict(doc)
    return _shared.get(key, lambda: BusinessCalendar.from_dict(doc))
