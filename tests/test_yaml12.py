"""Packs and calendar files are read as YAML 1.2: `on:` stays a key and `12:00` stays a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine import yaml12
from engine.calendar import BusinessCalendar


def test_unquoted_times_and_on_keep_their_meaning() -> None:
    data = yaml12.load("on: [conversation.created]\nhours: {mon: [[08:00, 12:00]]}\n")
    assert data == {"on": ["conversation.created"], "hours": {"mon": [["08:00", "12:00"]]}}


def test_a_calendar_with_unquoted_times_counts_business_time() -> None:
    calendar = BusinessCalendar.from_dict(yaml12.load("timezone: UTC\nhours: {mon: [[08:00, 12:00]]}\n"))
    monday_eleven = datetime(2026, 1, 5, 11, 0, tzinfo=UTC)
    # one hour left on Monday, the second hour falls on the next Monday morning
    assert calendar.deadline(monday_eleven, timedelta(hours=2)) == datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
