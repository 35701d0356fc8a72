"""The period of recorded traffic a coverage report counts, and how many conversations it reads.

Checked once for the CLI (`--from --to --conversations`) and the API (`traffic.from` ...), so both
refuse the same things with the same words; the error names the parameter.

Why a bound on conversations: the counts come from each conversation's decision trail, read from
Temporal one query per run (engine/service/rule_traffic.py). The most recently started ones are
read first; past the bound the report says it is a floor rather than taking minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

DEFAULT_RANGE = timedelta(days=7)
MAX_RANGE = timedelta(days=366)
DEFAULT_CONVERSATIONS = 500
MAX_CONVERSATIONS = 5000


class PeriodError(ValueError):
    """A parameter that cannot be used; `parameter` names it (`from`, `to`, `conversations`)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True, kw_only=True)
class TrafficPeriod:
    start: datetime
    """Inclusive."""
    end: datetime
    """Exclusive."""
    conversations: int = DEFAULT_CONVERSATIONS
    """At most this many conversations are read."""


def instant(parameter: str, text: str) -> datetime:
    """A date (midnight UTC) or ISO time (UTC when it has no zone)."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            raise PeriodError(parameter, f"{text[:40]!r} is not a date (2026-11-30) or ISO time") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def traffic_period(
    *, start: str | None, end: str | None, conversations: int | None, now: datetime
) -> TrafficPeriod:
    """From the texts given; `to` is now unless given, `from` a week before it unless given."""
    until = instant("to", end) if end else now
    since = instant("from", start) if start else until - DEFAULT_RANGE
    if since >= until:
        raise PeriodError("from", "must be before `to`")
    if until - since > MAX_RANGE:
        raise PeriodError("from", f"the period is at most {MAX_RANGE.days} days")
    if conversations is None:
        conversations = DEFAULT_CONVERSATIONS
    if not 1 <= conversations <= MAX_CONVERSATIONS:
        raise PeriodError("conversations", f"between 1 and {MAX_CONVERSATIONS}")
    return TrafficPeriod(start=since, end=until, conversations=conversations)
