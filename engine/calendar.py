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
import itertools
import pickle
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.shared_values import SharedValues

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TOP_LEVEL_KEYS = frozenset({"timezone", "hours", "holidays", "holiday_regions"})
SEARCH_LIMIT = timedelta(days=3 * 366)  # "no business time within 3 years" is an error
_CHUNK_DAYS = 366
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_HHMM = re.compile(r"^(\d{2}):(\d{2})$")
_REGION = re.compile(r"^([A-Z]{2})(?:-([A-Z0-9]{1,3}))?$")


class CalendarError(ValueError):
    """A calendar document problem, located by its path (e.g. `hours.mon[1]`)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class OpeningRange:
    """One [start, end) range of a weekday, in minutes after local midnight of its date.

    `end` may exceed 1440 for an overnight range, which ends on the next date.
    """

    start: int
    end: int


def _parse_hhmm(value: Any, path: str, *, is_end: bool) -> int:
    if not isinstance(value, str):
        hint = " (YAML reads an unquoted 08:00 as a number: quote it)" if isinstance(value, int) else ""
        raise CalendarError(path, f'expected a "HH:MM" string, got {value!r}{hint}')
    m = _HHMM.match(value)
    if not m:
        raise CalendarError(path, f'malformed time {value!r}, expected "HH:MM"')
    hours, minutes = int(m.group(1)), int(m.group(2))
    if minutes > 59:
        raise CalendarError(path, f"minute out of range in {value!r}")
    if hours == 24 and minutes == 0:
        if not is_end:
            raise CalendarError(path, '"24:00" can only end a range')
        return 1440
    if hours > 23:
        raise CalendarError(path, f"hour out of range in {value!r}")
    return hours * 60 + minutes


def _parse_day(value: Any, path: str) -> tuple[OpeningRange, ...]:
    if not isinstance(value, list):
        raise CalendarError(path, "expected a list of [start, end] pairs")
    ranges = []
    for i, pair in enumerate(value):
        item = f"{path}[{i}]"
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise CalendarError(item, "expected a [start, end] pair")
        start = _parse_hhmm(pair[0], f"{item}[0]", is_end=False)
        end = _parse_hhmm(pair[1], f"{item}[1]", is_end=True)
        if start == end:
            raise CalendarError(item, "start equals end")
        if end < start:
            end += 1440  # overnight: ends on the next date
        ranges.append((OpeningRange(start, end), item))
    ranges.sort(key=lambda r: r[0].start)
    for (prev, _), (cur, cur_path) in itertools.pairwise(ranges):
        if cur.start < prev.end:
            raise CalendarError(cur_path, "overlaps another range of the same day")
    return tuple(r for r, _ in ranges)


def _parse_holidays(value: Any) -> frozenset[date]:
    if not isinstance(value, list):
        raise CalendarError("holidays", 'expected a list of "YYYY-MM-DD" dates')
    days = set()
    for i, item in enumerate(value):
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)  # YAML turns an unquoted 2026-12-24 into a date already
            continue
        try:
            if not isinstance(item, str) or len(item) != 10:
                raise ValueError
            days.add(date.fromisoformat(item))
        except ValueError:
            raise CalendarError(f"holidays[{i}]", f'malformed date {item!r}, expected "YYYY-MM-DD"') from None
    return frozenset(days)


@lru_cache(maxsize=1024)
def _region_holidays(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    """A region's public holidays in one year: python-holidays builds them slowly, and the answer
    for a (region, year) never changes within a process (NotImplementedError: unknown region)."""
    import holidays as holiday_data

    return frozenset(holiday_data.country_holidays(country, subdiv=subdiv, years=year))


def _parse_regions(value: Any) -> tuple[tuple[str, str | None], ...]:
    if not isinstance(value, list):
        raise CalendarError("holiday_regions", 'expected a list such as ["DE-BE"]')
    regions = []
    for i, item in enumerate(value):
        path = f"holiday_regions[{i}]"
        m = _REGION.match(item) if isinstance(item, str) else None
        if not m:
            raise CalendarError(path, f'expected "CC" or "CC-SUBDIVISION" such as "DE-BE", got {item!r}')
        country, subdiv = m.group(1), m.group(2)
        try:
            _region_holidays(country, subdiv, 2000)
        except NotImplementedError as exc:
            raise CalendarError(path, f"unknown holiday region {item!r}: {exc}") from None
        regions.append((country, subdiv))
    return tuple(regions)


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
        if not isinstance(doc, dict):
            raise CalendarError("calendar", "expected an object with timezone and hours")
        for key in doc:
            if key not in TOP_LEVEL_KEYS:
                raise CalendarError(
                    str(key), f"unknown key (expected one of {', '.join(sorted(TOP_LEVEL_KEYS))})"
                )
        if "timezone" not in doc:
            raise CalendarError("timezone", "required")
        tz_name = doc["timezone"]
        try:
            if not isinstance(tz_name, str) or not tz_name:
                raise ValueError
            zone = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError("timezone", f"unknown time zone {tz_name!r}") from None
        hours = doc.get("hours")
        if not isinstance(hours, dict):
            raise CalendarError("hours", "required: an object of weekday -> list of [start, end]")
        for key in hours:
            if key not in WEEKDAYS:
                raise CalendarError(f"hours.{key}", f"unknown weekday (expected {', '.join(WEEKDAYS)})")
        week = tuple(_parse_day(hours.get(day, []), f"hours.{day}") for day in WEEKDAYS)
        holidays = _parse_holidays(doc.get("holidays", []))
        regions = _parse_regions(doc.get("holiday_regions", []))
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
                self._region_days.update(_region_holidays(country, subdiv, day.year))
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
