"""Calendars are built once per distinct calendar per process, and sharing them changes no answer.

Building a calendar's first year of timeline costs about 500 warm deadlines; every newly published
pack hash used to pay it again for an unchanged calendar.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from activities.rule_decisions import PackRegistry
from engine.calendar import BusinessCalendar, CalendarError, shared_calendar
from engine.rules.pack import RulePack

OFFICE = {
    "timezone": "Europe/Berlin",
    "hours": {day: [["08:00", "12:00"], ["13:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holiday_regions": ["DE-BE"],
}


def pack(rule_id: str) -> RulePack:
    return RulePack.model_validate(
        {
            "meta": {"name": "shared"},
            "calendars": {"office": OFFICE},
            "rules": [{"id": rule_id, "on": ["message.received"]}],
        }
    )


class Published:
    """The worker's pack store, in memory: packs by hash."""

    def __init__(self, *packs: RulePack) -> None:
        self.packs = {p.content_hash: p for p in packs}

    async def get(self, digest: str) -> RulePack:
        return self.packs[digest]

    async def active_hash(self, tenant: str) -> str | None:
        return None


def test_a_new_pack_hash_with_an_unchanged_calendar_reuses_its_built_timeline() -> None:
    first, second = pack("old-rule"), pack("new-rule")
    assert first.content_hash != second.content_hash
    registry = PackRegistry(Published(first, second))

    async def calendars() -> tuple[BusinessCalendar, BusinessCalendar]:
        old = await registry.get(first.content_hash)
        new = await registry.get(second.content_hash)
        return old.calendars["office"], new.calendars["office"]

    old, new = asyncio.run(calendars())
    assert old is new
    other_zone = shared_calendar({**OFFICE, "timezone": "Europe/London"})
    assert other_zone is not old and other_zone.zone.key == "Europe/London"


def test_an_invalid_calendar_is_refused_each_time_it_is_asked_for() -> None:
    broken = {**OFFICE, "hours": {"mon": [["17:00", "17:00"]]}}
    for _ in range(2):
        with pytest.raises(CalendarError, match="start equals end"):
            shared_calendar(broken)


@pytest.fixture
def switch_often() -> Iterator[None]:
    """Threads take turns every microsecond, so unguarded timeline extensions would interleave."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


def test_threads_sharing_a_fresh_calendar_get_the_answers_of_a_calendar_of_their_own(
    switch_often: None,
) -> None:
    # The worker's rule activities run in threads; a calendar shared by every pack hash is asked
    # by several at once, each extending its timeline into the following years.
    starts = [datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(days=61 * i) for i in range(30)]
    spans = [timedelta(hours=h) for h in (1, 40, 400)]
    expected = [BusinessCalendar.from_dict(OFFICE).deadline(s, d) for s in starts for d in spans]
    for _ in range(3):
        shared = BusinessCalendar.from_dict(OFFICE)  # as shared_calendar builds it: cold
        together = threading.Barrier(8)

        def answers(
            _: int, calendar: BusinessCalendar = shared, together: threading.Barrier = together
        ) -> list[datetime]:
            together.wait()
            return [calendar.deadline(s, d) for s in starts for d in spans]

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(answers, range(8)))
        assert all(result == expected for result in results)
