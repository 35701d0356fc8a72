"""The stories ops teams ask about, computed by hand, plus every validation error with its path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import BusinessCalendar, CalendarError

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS_9_TO_5 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def office(**extra) -> BusinessCalendar:
    return BusinessCalendar.from_dict({"timezone": "Europe/Berlin", "hours": WEEKDAYS_9_TO_5, **extra})


def test_four_business_hours_after_friday_evening_in_berlin() -> None:
    friday_1730 = berlin(2026, 11, 20, 17, 30)
    assert office().deadline(friday_1730, timedelta(hours=4)) == berlin(2026, 11, 23, 13, 0)


def test_deadline_at_closing_time_is_closing_time_not_next_opening() -> None:
    due = office().deadline(berlin(2026, 11, 23, 16, 0), timedelta(hours=1))
    assert due == berlin(2026, 11, 23, 17, 0)
    assert due.utcoffset() == timedelta(hours=1)


def test_christmas_and_new_year_are_skipped() -> None:
    cal = office(holidays=["2026-12-24", "2026-12-25", "2026-12-31", "2027-01-01"])
    # Wed 23 Dec 15:00: 2 h that day; 24, 25 holidays; weekend; Mon 28 gives the other 2 h.
    assert cal.deadline(berlin(2026, 12, 23, 15, 0), timedelta(hours=4)) == berlin(2026, 12, 28, 11, 0)
    # Wed 30 Dec 16:00 + 2 h: 1 h left on the 30th, 31st and 1st closed, weekend -> Mon 4 Jan 10:00.
    assert cal.deadline(berlin(2026, 12, 30, 16, 0), timedelta(hours=2)) == berlin(2027, 1, 4, 10, 0)
    assert cal.elapsed(berlin(2026, 12, 24, 0, 0), berlin(2026, 12, 27, 0, 0)) == timedelta(0)


def test_holiday_regions_come_from_python_holidays() -> None:
    cal = office(holiday_regions=["DE-BE"])
    assert cal.is_open(berlin(2025, 10, 2, 12, 0))
    assert not cal.is_open(berlin(2025, 10, 3, 12, 0))  # German Unity Day, a Friday in 2025
    assert not cal.is_open(berlin(2027, 3, 8, 12, 0))  # International Women's Day: Berlin only
    assert office(holiday_regions=["DE-BY"]).is_open(berlin(2027, 3, 8, 12, 0))
    # Unity Day 2026 is a Saturday; Christmas Day 2026 a Friday.
    assert cal.deadline(berlin(2026, 12, 24, 16, 0), timedelta(hours=2)) == berlin(2026, 12, 28, 10, 0)


def test_night_shift_across_midnight_merges_with_the_weekend() -> None:
    cal = BusinessCalendar.from_dict(
        {"timezone": "Europe/Berlin", "hours": {"fri": [["22:00", "06:00"]], "sat": [["00:00", "24:00"]]}}
    )
    assert cal.is_open(berlin(2026, 11, 21, 3, 0))
    assert cal.elapsed(berlin(2026, 11, 20, 0, 0), berlin(2026, 11, 23, 0, 0)) == timedelta(hours=26)
    assert cal.deadline(berlin(2026, 11, 20, 23, 0), timedelta(hours=25)) == berlin(2026, 11, 22, 0, 0)
    assert cal.next_open(berlin(2026, 11, 22, 9, 0)) == berlin(2026, 11, 27, 22, 0)


def test_night_dst_starts_and_ends_in_berlin() -> None:
    nights = BusinessCalendar.from_dict({"timezone": "Europe/Berlin", "hours": {"sat": [["22:00", "06:00"]]}})
    # 29 March 2026: clocks jump 02:00 -> 03:00, the night shift is one hour short.
    spring = berlin(2026, 3, 28, 22, 0)
    assert nights.elapsed(spring, berlin(2026, 3, 29, 6, 0)) == timedelta(hours=7)
    assert nights.deadline(spring, timedelta(hours=7)) == berlin(2026, 3, 29, 6, 0)
    assert nights.deadline(spring, timedelta(hours=4)) == berlin(2026, 3, 29, 3, 0)
    # 25 October 2026: 03:00 -> 02:00, one hour longer.
    autumn = berlin(2026, 10, 24, 22, 0)
    assert nights.elapsed(autumn, berlin(2026, 10, 25, 6, 0)) == timedelta(hours=9)
    four_hours_in = nights.deadline(autumn, timedelta(hours=4))
    assert four_hours_in.astimezone(UTC) == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # 02:00 CEST


def test_range_inside_the_spring_gap_contributes_nothing() -> None:
    cal = BusinessCalendar.from_dict({"timezone": "Europe/Berlin", "hours": {"sun": [["02:00", "03:00"]]}})
    assert cal.elapsed(berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 30, 0, 0)) == timedelta(0)
    assert cal.elapsed(berlin(2026, 4, 5, 0, 0), berlin(2026, 4, 6, 0, 0)) == timedelta(hours=1)


def test_lord_howe_half_hour_shift() -> None:
    lh = ZoneInfo("Australia/Lord_Howe")
    always = BusinessCalendar.from_dict(
        {
            "timezone": "Australia/Lord_Howe",
            "hours": {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        }
    )
    # 5 April 2026, 02:00 -> 01:30: that local day lasts 24.5 hours.
    day = always.elapsed(datetime(2026, 4, 5, tzinfo=lh), datetime(2026, 4, 6, tzinfo=lh))
    assert day == timedelta(hours=24, minutes=30)


def test_exact_to_the_microsecond_and_returned_in_the_calendar_zone() -> None:
    start = datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=UTC)  # 10:00:00.123456 Berlin
    due = office().deadline(start, timedelta(minutes=90, microseconds=7))
    assert due == berlin(2026, 11, 23, 11, 30, 0, 123463)
    assert due.tzinfo == BERLIN


def test_zero_duration_naive_start_and_never_open() -> None:
    start = berlin(2026, 11, 21, 12, 0)  # a Saturday: closed, still the answer for zero
    assert office().deadline(start, timedelta(0)) == start
    with pytest.raises(ValueError, match="timezone-aware"):
        office().deadline(datetime(2026, 11, 20, 12, 0), timedelta(hours=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        office().elapsed(datetime(2026, 11, 20, 12, 0), berlin(2026, 11, 21, 12, 0))
    closed = BusinessCalendar.from_dict({"timezone": "UTC", "hours": {}})
    with pytest.raises(ValueError, match="3 years"):
        closed.deadline(start, timedelta(minutes=1))
    with pytest.raises(ValueError, match="3 years"):
        closed.next_open(start)


def test_elapsed_is_zero_backwards_and_is_open_is_half_open() -> None:
    cal = office()
    assert cal.elapsed(berlin(2026, 11, 24, 12, 0), berlin(2026, 11, 23, 12, 0)) == timedelta(0)
    assert cal.is_open(berlin(2026, 11, 23, 9, 0))
    assert not cal.is_open(berlin(2026, 11, 23, 17, 0))
    assert cal.next_open(berlin(2026, 11, 23, 17, 0)) == berlin(2026, 11, 24, 9, 0)
    assert cal.next_open(berlin(2026, 11, 23, 12, 0)) == berlin(2026, 11, 23, 12, 0)


def test_long_durations_and_far_starts() -> None:
    cal = office()
    thirty_days = cal.deadline(berlin(2026, 11, 23, 9, 0), timedelta(hours=8 * 30))
    assert thirty_days == berlin(2027, 1, 1, 17, 0)  # 30 weekdays later, no holidays configured
    # A start far before anything asked so far rebuilds the timeline backwards.
    assert cal.deadline(berlin(2020, 1, 6, 9, 0), timedelta(hours=8)) == berlin(2020, 1, 6, 17, 0)
    assert cal.elapsed(berlin(2020, 1, 6, 9, 0), berlin(2026, 11, 23, 9, 0)) > timedelta(days=500)


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ({"hours": {}}, "timezone"),
        ({"timezone": "Mars/Olympus", "hours": {}}, "timezone"),
        ({"timezone": "Europe/Berlin"}, "hours"),
        ({"timezone": "Europe/Berlin", "hours": {"monday": []}}, "hours.monday"),
        ({"timezone": "Europe/Berlin", "hours": {"mon": [["8:00", "12:00"]]}}, "hours.mon[0][0]"),
        ({"timezone": "Europe/Berlin", "hours": {"mon": [["08:00", "25:00"]]}}, "hours.mon[0][1]"),
        ({"timezone": "Europe/Berlin", "hours": {"mon": [["08:60", "12:00"]]}}, "hours.mon[0][0]"),
        ({"timezone": "Europe/Berlin", "hours": {"mon": [["24:00", "12:00"]]}}, "hours.mon[0][0]"),
        ({"timezone": "Europe/Berlin", "hours": {"mon": [["08:00", "08:00"]]}}, "hours.mon[0]"),
        (
            {"timezone": "Europe/Berlin", "hours": {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}},
            "hours.mon[1]",
        ),
        ({"timezone": "Europe/Berlin", "hours": {"mon": [["08:00"]]}}, "hours.mon[0]"),
        ({"timezone": "Europe/Berlin", "hours": {"mon": "08:00-12:00"}}, "hours.mon"),
        ({"timezone": "Europe/Berlin", "hours": {"mon": [[480, "12:00"]]}}, "hours.mon[0][0]"),
        ({"timezone": "Europe/Berlin", "hours": {}, "holidays": ["2026-02-30"]}, "holidays[0]"),
        ({"timezone": "Europe/Berlin", "hours": {}, "holidays": ["24.12.2026"]}, "holidays[0]"),
        ({"timezone": "Europe/Berlin", "hours": {}, "holiday_regions": ["XX-YY"]}, "holiday_regions[0]"),
        ({"timezone": "Europe/Berlin", "hours": {}, "hollidays": []}, "hollidays"),
    ],
)
def test_invalid_documents_name_the_path(doc: dict, path: str) -> None:
    with pytest.raises(CalendarError) as err:
        BusinessCalendar.from_dict(doc)
    assert err.value.path == path
    assert str(err.value).startswith(f"{path}: ")
