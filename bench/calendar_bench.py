"""Cost of deadline() and elapsed() by duration, warm (timeline built) and cold (new calendar).

Ratios within one run are the figures to report; absolute times vary with the machine.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bench.timing import per_call_seconds
from engine.calendar import BusinessCalendar

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
CASES = {
    "deadline 1 business hour": timedelta(hours=1),
    "deadline 5 business days": timedelta(hours=5 * 8),
    "deadline 30 business days": timedelta(hours=30 * 8),
}


def main() -> None:
    warm = BusinessCalendar.from_dict(DOC)
    results = {}
    for label, duration in CASES.items():
        warm.deadline(START, duration)
        results[label] = per_call_seconds(lambda d=duration: warm.deadline(START, d), calls=20_000)
    year_end = START + timedelta(days=365)
    warm.elapsed(START, year_end)
    results["elapsed over one year"] = per_call_seconds(lambda: warm.elapsed(START, year_end), calls=20_000)
    results["cold: new calendar + deadline 30 days"] = per_call_seconds(
        lambda: BusinessCalendar.from_dict(DOC).deadline(START, CASES["deadline 30 business days"]),
        calls=50,
    )
    base = results["deadline 1 business hour"]
    for label, seconds in results.items():
        print(f"{label:42s} {seconds * 1e6:10.2f} µs/call   x{seconds / base:8.2f} of 1-hour deadline")


if __name__ == "__main__":
    main()
