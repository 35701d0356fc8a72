"""Cost of deadline() and elapsed() on a warm calendar (timeline built), of a deadline through the
process's shared calendars (`shared_calendar`, what a newly loaded pack hash uses), and of a new
calendar + deadline (what every new pack hash paid before calendars were shared).

Every figure is a ratio to a warm 1-business-hour deadline in the same run; absolute times vary
with the machine.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bench.results import Result
from bench.timing import per_call_seconds
from engine.calendar import BusinessCalendar, shared_calendar

DOC = {
    "timezone": "Europe/Berlin",
    "hours": {
        "mon": [["08:00", "12:00"], ["13:00", "17:00"]],
        "tue": [["08:00", "12:00"], ["13:00", "17:00"]],
        "wed": [["08:00", "12:00"], ["13:00", "17:00"]],
        "thu": [["08:00", "12:00"], ["13:00", "17:00"]],
        "fri": [["08:00", "12:00"], ["13:00", "17:00"]],
    },
    "holiday_regions": ["DE-BE"],
}
START = datetime(2026, 11, 20, 17, 30, tzinfo=ZoneInfo("Europe/Berlin"))
HOUR = timedelta(hours=1)
CASES = {
    "deadline 5 business days": timedelta(hours=5 * 8),
    "deadline 30 business days": timedelta(hours=30 * 8),
}


def paired(first: Callable[[], object], second: Callable[[], object], calls: int) -> tuple[float, float]:
    """Best per-call seconds of each, their rounds taken in turn: a busy spell hits both alike."""
    rounds = [
        (per_call_seconds(first, calls=calls, rounds=1), per_call_seconds(second, calls=calls, rounds=1))
        for _ in range(7)
    ]
    return min(a for a, _ in rounds), min(b for _, b in rounds)


def main() -> list[Result]:
    us = 1e6
    warm = BusinessCalendar.from_dict(DOC)
    warm.deadline(START, HOUR)
    shared_calendar(dict(DOC)).deadline(START, HOUR)  # the first pack with this calendar builds it
    base, via_cache = (
        seconds * us
        for seconds in paired(
            lambda: warm.deadline(START, HOUR),
            lambda: shared_calendar(dict(DOC)).deadline(START, HOUR),  # a new pack's copy of DOC
            calls=10_000,
        )
    )
    rows = [
        Result("calendar: warm deadline, 1 business hour", base, "µs"),
        Result("calendar: deadline via the pack's cached calendar", via_cache, "µs", base, goal="<= 2x"),
    ]
    for label, duration in CASES.items():
        warm.deadline(START, duration)
        rows.append(
            Result(
                f"calendar: warm {label}",
                per_call_seconds(lambda d=duration: warm.deadline(START, d), calls=20_000) * us,
                "µs",
                base,
            )
        )
    year_end = START + timedelta(days=365)
    warm.elapsed(START, year_end)
    elapsed = per_call_seconds(lambda: warm.elapsed(START, year_end), calls=20_000) * us
    rows.append(Result("calendar: warm elapsed over one year", elapsed, "µs", base))
    cold = per_call_seconds(lambda: BusinessCalendar.from_dict(DOC).deadline(START, HOUR), calls=50) * us
    rows.append(Result("calendar: new calendar + deadline (every new pack hash, before)", cold, "µs", base))
    return rows


if __name__ == "__main__":
    from bench.results import table

    print(table(main()))
