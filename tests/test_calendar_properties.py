"""Property tests: the calendar against an independent minute-by-minute reference, and its laws.

The reference shares nothing with the implementation but the definition in the issue: each range's
endpoints become instants through zoneinfo (fold=0), and business time is the set of minutes inside
any of them. No merging, no prefix sums, no binary search.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.calendar import WEEKDAYS, BusinessCalendar

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kolkata"]
# Starts cluster around DST transitions, where bugs live.
TRANSITIONS = [
    date(2026, 3, 8),
    date(2026, 3, 29),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 10, 25),
    date(2026, 11, 1),
    date(2026, 12, 24),
]
MINUTE = timedelta(minutes=1)
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def day_ranges(draw) -> list[list[str]]:
    """0-3 non-overlapping ranges of one day on a 15-minute grid; the last may run overnight
    (ending next morning) or end at 24:00."""
    cuts = sorted(draw(st.sets(st.integers(0, 95), max_size=6)))
    cuts = cuts[: len(cuts) // 2 * 2]
    ranges = [[cuts[i] * 15, cuts[i + 1] * 15] for i in range(0, len(cuts), 2)]
    if ranges:
        last = ranges[-1]
        tail = draw(st.sampled_from(["same day", "overnight", "midnight"]))
        if tail == "overnight" and last[0] > 0:
            last[1] = draw(st.integers(0, last[0] // 15 - 1)) * 15
        elif tail == "midnight":
            last[1] = 1440
    return [[hhmm(s), "24:00" if e == 1440 else hhmm(e)] for s, e in ranges]


@st.composite
def calendars(draw) -> dict:
    zone = draw(st.sampled_from(ZONES))
    hours = {day: draw(day_ranges()) for day in WEEKDAYS if draw(st.booleans())}
    if not any(hours.values()):
        hours["wed"] = [["09:00", "17:00"]]
    holidays = draw(
        st.lists(st.sampled_from(TRANSITIONS + [d + timedelta(days=1) for d in TRANSITIONS]), max_size=3)
    )
    return {"timezone": zone, "hours": hours, "holidays": [d.isoformat() for d in holidays]}


@st.composite
def starts(draw, zone: str) -> datetime:
    day = draw(st.sampled_from(TRANSITIONS)) + timedelta(days=draw(st.integers(-2, 2)))
    minute = draw(st.integers(0, 24 * 60 - 1))
    local = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)) + minute * MINUTE
    return local.astimezone(UTC).replace(second=0, microsecond=0)


def reference_minutes(doc: dict, first: date, last: date) -> list[datetime]:
    """Sorted UTC minutes that are business time, from ranges on local dates first..last."""
    zone = ZoneInfo(doc["timezone"])
    holidays = {date.fromisoformat(d) for d in doc["holidays"]}
    minutes: set[datetime] = set()
    day = first
    while day <= last:
        if day not in holidays:
            for s, e in doc["hours"].get(WEEKDAYS[day.weekday()], []):
                sh, sm = map(int, s.split(":"))
                eh, em = map(int, e.split(":"))
                start = datetime(day.year, day.month, day.day, sh, sm, tzinfo=zone)
                end_day = day + timedelta(days=1) if (eh, em) <= (sh, sm) or eh == 24 else day
                end = datetime(end_day.year, end_day.month, end_day.day, eh % 24, em, tzinfo=zone)
                t = start.astimezone(UTC)
                while t < end.astimezone(UTC):
                    minutes.add(t)
                    t += MINUTE
        day += timedelta(days=1)
    return sorted(minutes)


@PROPERTY_SETTINGS
@given(data=st.data(), doc=calendars(), minutes=st.integers(1, 3 * 24 * 60))
def test_deadline_and_elapsed_match_the_reference(data, doc: dict, minutes: int) -> None:
    cal = BusinessCalendar.from_dict(doc)
    start = data.draw(starts(doc["timezone"]))
    local_day = start.astimezone(ZoneInfo(doc["timezone"])).date()
    business = reference_minutes(doc, local_day - timedelta(days=1), local_day + timedelta(days=60))
    after = [m for m in business if m >= start]
    assume(len(after) >= minutes)  # else the window is too short for the reference to know
    expected = after[minutes - 1] + MINUTE
    due = cal.deadline(start, minutes * MINUTE)
    # The same instant; `==` across zones is False for a local time in a repeated DST hour (PEP 495).
    assert due.astimezone(UTC) == expected
    assert due.utcoffset() == expected.astimezone(ZoneInfo(doc["timezone"])).utcoffset()
    end = start + timedelta(hours=data.draw(st.integers(0, 24 * 20)))
    assert cal.elapsed(start, end) == sum(1 for m in after if m < end) * MINUTE


@PROPERTY_SETTINGS
@given(data=st.data(), doc=calendars(), d=st.integers(0, 10**6 * 3600 * 50))
def test_elapsed_inverts_deadline(data, doc: dict, d: int) -> None:
    cal = BusinessCalendar.from_dict(doc)
    start = data.draw(starts(doc["timezone"])) + timedelta(microseconds=data.draw(st.integers(0, 59_999_999)))
    duration = timedelta(microseconds=d)
    assert cal.elapsed(start, cal.deadline(start, duration)) == duration


@PROPERTY_SETTINGS
@given(data=st.data(), doc=calendars(), a=st.integers(0, 40 * 60), b=st.integers(0, 40 * 60))
def test_deadline_is_monotonic_in_duration_and_start(data, doc: dict, a: int, b: int) -> None:
    cal = BusinessCalendar.from_dict(doc)
    start = data.draw(starts(doc["timezone"]))
    short, long = sorted((a, b))
    assert cal.deadline(start, short * MINUTE) <= cal.deadline(start, long * MINUTE)
    later = start + timedelta(minutes=data.draw(st.integers(0, 3 * 24 * 60)))
    assert cal.deadline(start, short * MINUTE) <= cal.deadline(later, short * MINUTE)


@PROPERTY_SETTINGS
@given(data=st.data(), doc=calendars())
def test_is_open_and_next_open_agree_with_elapsed(data, doc: dict) -> None:
    cal = BusinessCalendar.from_dict(doc)
    at = data.draw(starts(doc["timezone"])) + timedelta(seconds=data.draw(st.integers(0, 59)))
    tick = timedelta(microseconds=1)
    assert cal.is_open(at) == (cal.elapsed(at, at + tick) == tick)
    opens = cal.next_open(at)
    assert cal.is_open(opens)
    assert cal.elapsed(at, opens) == timedelta(0)
    # Compared as UTC instants: PEP 495 makes a wall time in a DST fold (01:00 on the day New York
    # falls back) unequal to every datetime of another zone, even the same instant.
    assert (opens.astimezone(UTC) == at.astimezone(UTC)) == cal.is_open(at)
