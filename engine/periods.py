"""A reporting period given as texts (`from`, `to`), checked the same way for every report that takes
one: KPIs (engine/kpis/query.py), rule coverage's traffic (engine/rules/coverage/period.py) and the
shadow report. The error names the parameter, so the API and the CLI say the same thing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

DEFAULT_RANGE = timedelta(days=7)
MAX_RANGE = timedelta(days=366)


class PeriodError(ValueError):
    """A parameter that cannot be used; `parameter` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


def instant(parameter: str, text: str, zone: tzinfo = UTC) -> datetime:
    """A date (its midnight in `zone`) or ISO time (in `zone` when it has no offset)."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            raise PeriodError(
                parameter, f"{text[:40]!r} is not a date or ISO time (write YYYY-MM-DD, such as 2026-11-30)"
            ) from None
    return when if when.tzinfo else when.replace(tzinfo=zone)


def _is_date(text: str | None) -> bool:
    try:
        date.fromisoformat(text or "")
    except ValueError:
        return False
    return len(text or "") == 10


def _next_day(text: str | None) -> str:
    return (date.fromisoformat(text or "") + timedelta(days=1)).isoformat()


def period(
    *, start: str | None, end: str | None, now: datetime, zone: tzinfo = UTC
) -> tuple[datetime, datetime]:
    """[start, end): `to` is now unless given, `from` a week before it unless given.

    Nothing has happened after now: a later `to` (a console's "to today") ends now, so a backlog is
    read at now and its age is not counted into the future.
    """
    until = min(instant("to", end, zone), now) if end else now
    since = instant("from", start, zone) if start else until - DEFAULT_RANGE
    if since >= until:
        # `--from 2026-12-06 --to 2026-12-06` for one day: a date as `to` is its midnight, the end.
        one_day = _is_date(start) and _is_date(end) and since == until
        hint = (
            f" (a date as `to` is its midnight, not included: `to` {_next_day(end)} for one day)"
            if one_day
            else ""
        )
        raise PeriodError("from", f"must be before `to` and before now{hint}")
    if until - since > MAX_RANGE:
        raise PeriodError("from", f"the range is at most {MAX_RANGE.days} days")
    return since, until
