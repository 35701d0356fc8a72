"""The period of recorded traffic a coverage report counts, and how many conversations it reads.

Checked once for the CLI (`--from --to --conversations`) and the API (`traffic.from` ...), so both
refuse the same things with the same words; the error names the parameter.

Why a bound on conversations: the counts come from each conversation's decision trail, read from
Temporal one query per run (engine/service/rule_traffic.py). The most recently started ones are
read first; past the bound the report says it is a floor rather than taking minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.periods import PeriodError, period

DEFAULT_CONVERSATIONS = 500
MAX_CONVERSATIONS = 5000


@dataclass(frozen=True, kw_only=True)
class TrafficPeriod:
    start: datetime
    """Inclusive."""
    end: datetime
    """Exclusive."""
    conversations: int = DEFAULT_CONVERSATIONS
    """At most this many conversations are read."""


def traffic_period(
    *, start: str | None, end: str | None, conversations: int | None, now: datetime
) -> TrafficPeriod:
    """From the texts given (engine/periods.py: `to` now unless given, `from` a week before it)."""
    since, until = period(start=start, end=end, now=now)
    if conversations is None:
        conversations = DEFAULT_CONVERSATIONS
    if not 1 <= conversations <= MAX_CONVERSATIONS:
        raise PeriodError("conversations", f"between 1 and {MAX_CONVERSATIONS}")
    return TrafficPeriod(start=since, end=until, conversations=conversations)
