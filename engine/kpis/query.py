"""A KPI report's parameters, checked once for the API and the CLI: the error names the parameter."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.contracts.conversation import Channel
from engine.contracts.ids import is_safe_id
from engine.contracts.single_line import is_pack_name
from engine.kpis.report import GROUPS, INTERVALS
from engine.periods import PeriodError, period
from engine.rules.context import Priority
from engine.rules.pack import MAX_TEAM_NAME

MAX_PERIODS = 400
TIME_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")
"""An IANA name's shape (letters, `/`, `_`, `+`, `-`): checked before the zone database reads a path."""
CLOSED_SETS: dict[str, tuple[str, ...]] = {
    "channel": tuple(c.value for c in Channel),
    "priority": tuple(p.value for p in Priority),
}


class KpiQueryError(PeriodError):
    """A parameter that cannot be used; `parameter` names it."""


@dataclass(frozen=True)
class KpiQuery:
    start: datetime
    end: datetime
    group_by: tuple[str, ...] = ()
    interval: str | None = None
    filters: tuple[tuple[str, str], ...] = ()
    """(group, value) pairs a thread must have to count, e.g. (("team", "billing"),)."""
    zone: tzinfo = UTC
    """Whose days and weeks the periods are (`tz`, an IANA name): an ops lead in New York reads
    their own days."""


def _not_a(group: str, value: str) -> str | None:
    """Why `value` cannot be a thread's `group`: a channel or priority is one of a few, a team any
    name a pack may give one (`Tier 2`, `Kundenservice Süd`), an agent an id."""
    if group in CLOSED_SETS and value not in CLOSED_SETS[group]:
        return f"{value[:40]!r} is not one of {', '.join(CLOSED_SETS[group])}"
    if group == "team" and not is_pack_name(value):
        return f"{value[:40]!r} is not a team name (one line, at most {MAX_TEAM_NAME} characters, no quotes)"
    if group == "agent" and not is_safe_id(value):
        return f"{value[:40]!r} is not an agent id"
    return None


def parse_query(
    *,
    start: str | None,
    end: str | None,
    group_by: str | None,
    interval: str | None,
    now: datetime,
    filters: Mapping[str, str | None] | None = None,
    tz: str | None = None,
) -> KpiQuery:
    """From the texts given (`from`, `to`, `group_by`, `interval`, a value per group to keep only its
    threads, `tz`); `to` is now unless given (or later than now), `from` a week before it unless
    given; a date, or a time without an offset, is the time zone's."""
    zone = time_zone(tz)
    try:
        since, until = period(start=start, end=end, now=now, zone=zone)
    except PeriodError as exc:
        raise KpiQueryError(exc.parameter, exc.message) from None
    groups: tuple[str, ...] = ()
    if group_by:
        groups = tuple(g.strip() for g in group_by.split(","))
        for g in groups:
            if g not in GROUPS:
                raise KpiQueryError("group_by", f"{g[:40]!r} is not one of {', '.join(GROUPS)}")
        if len(set(groups)) != len(groups):
            raise KpiQueryError("group_by", "names a group twice")
    if interval is not None and interval not in INTERVALS:
        raise KpiQueryError("interval", f"{interval[:40]!r} is not one of {', '.join(INTERVALS)}")
    if interval is not None and (until - since) / INTERVALS[interval] > MAX_PERIODS:
        raise KpiQueryError("interval", f"more than {MAX_PERIODS} periods in the range")
    kept = []
    for name, value in (filters or {}).items():
        if value is None:
            continue
        if name not in GROUPS:
            raise KpiQueryError(name, f"not a filter; the filters are {', '.join(GROUPS)}")
        if (why := _not_a(name, value)) is not None:
            raise KpiQueryError(name, why)
        kept.append((name, value))
    return KpiQuery(since, until, groups, interval, tuple(kept), zone)


def time_zone(name: str | None) -> tzinfo:
    """The IANA time zone `name` (UTC when none is given)."""
    if name is None:
        return UTC
    if not TIME_ZONE_NAME.fullmatch(name):
        raise KpiQueryError(
            "tz", f"{name[:40]!r} is not an IANA time zone name (Europe/Berlin, America/New_York)"
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # a directory of the zone database, say
        raise KpiQueryError(
            "tz", f"{name!r} is not a time zone this server knows (an IANA name, e.g. Europe/Berlin or UTC)"
        ) from None
