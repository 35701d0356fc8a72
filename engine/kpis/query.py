"""A KPI report's parameters, checked once for the API and the CLI: the error names the parameter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from engine.contracts.ids import is_safe_id
from engine.kpis.report import GROUPS, INTERVALS

DEFAULT_RANGE = timedelta(days=7)
MAX_RANGE = timedelta(days=366)
MAX_PERIODS = 400


class KpiQueryError(ValueError):
    """A parameter that cannot be used; `parameter` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class KpiQuery:
    start: datetime
    end: datetime
    group_by: tuple[str, ...] = ()
    interval: str | None = None
    filters: tuple[tuple[str, str], ...] = ()
    """(group, value) pairs a thread must have to count, e.g. (("team", "billing"),)."""


def _instant(parameter: str, text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            raise KpiQueryError(parameter, f"{text[:40]!r} is not a date (2026-11-30) or ISO time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_query(
    *,
    start: str | None,
    end: str | None,
    group_by: str | None,
    interval: str | None,
    now: datetime,
    filters: Mapping[str, str | None] | None = None,
) -> KpiQuery:
    """From the texts given (`from`, `to`, `group_by`, `interval`, and a value per group to keep only
    its threads); `to` is now unless given (or later than now), `from` a week before it unless given."""
    # Nothing has happened after now: a later `to` (today's date + 1, a console's "to today") ends
    # now, so the backlog is read at now and its age is not counted into the future.
    until = min(_instant("to", end), now) if end else now
    since = _instant("from", start) if start else until - DEFAULT_RANGE
    if since >= until:
        raise KpiQueryError("from", "must be before `to` and before now")
    if until - since > MAX_RANGE:
        raise KpiQueryError("from", f"the range is at most {MAX_RANGE.days} days")
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
        if not is_safe_id(value):
            raise KpiQueryError(name, f"{value[:40]!r} is not a {name} name")
        kept.append((name, value))
    return KpiQuery(since, until, groups, interval, tuple(kept))
