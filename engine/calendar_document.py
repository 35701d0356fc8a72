"""A calendar document read: time zone, weekly opening hours, holidays and holiday regions.

`read_document(doc)` checks a pack's calendar (YAML or JSON, as an object) and returns what
engine/calendar.py builds its timeline from. Every problem of the document is found in one reading
and named by its path (`hours.mon[1][0]`): CalendarError carries the first, and the others in
`also`; ops mended a calendar one mistake per `rules validate` before.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TOP_LEVEL_KEYS = frozenset({"timezone", "hours", "holidays", "holiday_regions"})
_HHMM = re.compile(r"^(\d{2}):(\d{2})$")
_REGION = re.compile(r"^([A-Z]{2})(?:-([A-Z0-9]{1,3}))?$")
T = TypeVar("T")
Week = tuple[tuple["OpeningRange", ...], ...]


def read_document(doc: Any) -> tuple[ZoneInfo, Week, frozenset[date], tuple[tuple[str, str | None], ...]]:
    """The zone, week, holidays and regions of a calendar document; CalendarError names its first
    problem, and the others in `also`."""
    if not isinstance(doc, dict):
        raise CalendarError("calendar", "expected an object with timezone and hours")
    expected = ", ".join(sorted(TOP_LEVEL_KEYS))
    found = [
        CalendarError(str(k), f"unknown key (expected one of {expected})")
        for k in doc
        if k not in TOP_LEVEL_KEYS
    ]
    zone = _collected(found, _parse_zone, doc)
    week = _collected(found, _parse_week, doc.get("hours"))
    holidays = _collected(found, _parse_holidays, doc.get("holidays", []))
    regions = _collected(found, _parse_regions, doc.get("holiday_regions", []))
    _raise_found(found)
    assert zone is not None and week is not None and holidays is not None and regions is not None
    return zone, week, holidays, regions


class CalendarError(ValueError):
    """A calendar document problem, located by its path (e.g. `hours.mon[1]`); `also` holds the
    document's other problems, found in the same reading (`problems`: all of them, this one first)."""

    path: str
    message: str
    also: tuple[CalendarError, ...]

    def __init__(self, path: str, message: str, also: Sequence[CalendarError] = ()) -> None:
        more = "; ".join(f"{e.path}: {e.message}" for e in also)
        super().__init__(f"{path}: {message}" + (f"; {more}" if more else ""))
        self.path, self.message, self.also = path, message, tuple(also)

    @property
    def problems(self) -> tuple[CalendarError, ...]:
        return (self, *self.also)


def _collected(found: list[CalendarError], parse: Callable[[Any], T], value: Any) -> T | None:
    """`parse(value)`, its problems added to `found` (None then): one reading names every mistake
    of a document, where ops mended a calendar one mistake per `rules validate`."""
    try:
        return parse(value)
    except CalendarError as exc:
        found.extend(exc.problems)
        return None


def _raise_found(found: list[CalendarError]) -> None:
    if found:
        raise CalendarError(found[0].path, found[0].message, found[1:])


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


def _parse_zone(doc: Mapping[str, Any]) -> ZoneInfo:
    if "timezone" not in doc:
        raise CalendarError("timezone", "required")
    tz_name = doc["timezone"]
    try:
        if not isinstance(tz_name, str) or not tz_name:
            raise ValueError
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError("timezone", f"unknown time zone {tz_name!r}{_zone_hint(tz_name)}") from None


def _zone_hint(name: object) -> str:
    """`; did you mean 'Europe/Paris'?` for `europe/paris` or `Europe/Pari` (only on the error path:
    listing the zones reads the time-zone database)."""
    if not isinstance(name, str) or not name or len(name) > 64:
        return ""
    zones = available_timezones()
    folded = {zone.casefold(): zone for zone in zones}
    found = folded.get(name.casefold()) or next(iter(difflib.get_close_matches(name, zones, n=1)), None)
    return f"; did you mean {found!r}?" if found else ""


def _parse_week(hours: Any) -> Week:
    """The seven weekdays' ranges, every day's problem found (a day's first)."""
    if not isinstance(hours, dict):
        raise CalendarError("hours", "required: an object of weekday -> list of [start, end]")
    found = [
        CalendarError(f"hours.{key}", f"unknown weekday (expected {', '.join(WEEKDAYS)})")
        for key in hours
        if key not in WEEKDAYS
    ]
    days = [
        _collected(found, partial(_parse_day, path=f"hours.{day}"), hours.get(day, [])) for day in WEEKDAYS
    ]
    _raise_found(found)
    return tuple(day or () for day in days)


def _parse_holidays(value: Any) -> frozenset[date]:
    if not isinstance(value, list):
        raise CalendarError("holidays", 'expected a list of "YYYY-MM-DD" dates')
    days, found = set(), []
    for i, item in enumerate(value):
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)  # YAML turns an unquoted 2026-12-24 into a date already
            continue
        try:
            if not isinstance(item, str) or len(item) != 10:
                raise ValueError
            days.add(date.fromisoformat(item))
        except ValueError:
            found.append(CalendarError(f"holidays[{i}]", f'malformed date {item!r}, expected "YYYY-MM-DD"'))
    _raise_found(found)
    return frozenset(days)


@lru_cache(maxsize=1024)
def region_holidays(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    """A region's public holidays in one year: python-holidays builds them slowly, and the answer
    for a (region, year) never changes within a process (NotImplementedError: unknown region)."""
    import holidays as holiday_data

    return frozenset(holiday_data.country_holidays(country, subdiv=subdiv, years=year))


def _parse_regions(value: Any) -> tuple[tuple[str, str | None], ...]:
    if not isinstance(value, list):
        raise CalendarError("holiday_regions", 'expected a list such as ["DE-BE"]')
    regions, found = [], []
    for i, item in enumerate(value):
        path = f"holiday_regions[{i}]"
        m = _REGION.match(item) if isinstance(item, str) else None
        if not m:
            found.append(
                CalendarError(path, f'expected "CC" or "CC-SUBDIVISION" such as "DE-BE", got {item!r}')
            )
            continue
        country, subdiv = m.group(1), m.group(2)
        try:
            region_holidays(country, subdiv, 2000)
        except NotImplementedError as exc:
            found.append(CalendarError(path, f"unknown holiday region {item!r}: {exc}"))
            continue
        regions.append((country, subdiv))
    _raise_found(found)
    return tuple(regions)
