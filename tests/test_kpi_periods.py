"""The report's periods over many threads: the same rows as asking every thread at every period's end.

`report` files each thread under the periods it began in or may be waiting at the end of
(`ThreadKpis.settled_at`), instead of asking `status_at` of every thread begun before each period's
end. Statuses come in recorded order with instants that may go back (a channel's late `received_at`),
so `settled_at` must follow `status_at` exactly; the reference below is the report as first written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.kpis.report import metrics, periods, report
from engine.kpis.threads import RESOLVED, Measure, ThreadKpis

T0 = datetime(2026, 11, 23, tzinfo=UTC)
STATUSES = ("open", "pending", "on_hold", "solved", "closed")
PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference(
    threads: list[ThreadKpis],
    start: datetime,
    end: datetime,
    group_by: tuple[str, ...],
    step: timedelta | None,
) -> list[dict[str, Any]]:
    """Every thread begun before each period's end asked its status there (the first implementation);
    periods are days or weeks from T0, a Monday midnight, cut at the range's ends.

    A series (`step`) has every period of a group that has a thread begun or waiting in one of them,
    and, without grouping, every period whatever."""
    attribute = {"team": "team", "channel": "channel", "agent": "assignee", "priority": "priority"}
    groups: dict[tuple[str | None, ...], list[ThreadKpis]] = {(): []} if step and not group_by else {}
    for thread in threads:
        groups.setdefault(tuple(getattr(thread, attribute[g]) for g in group_by), []).append(thread)
    rows = []
    for key in sorted(groups, key=lambda k: tuple(v or "" for v in k)):
        members = groups[key]
        left = start
        series, busy = [], False
        while left < end:
            right = end if step is None else min(T0 + step * ((left - T0) // step + 1), end)
            begun = [t for t in members if left <= t.started_at < right]
            known = [t for t in members if t.started_at < right]
            active = bool(begun) or any(t.status_at(right) not in (None, *RESOLVED) for t in known)
            busy = busy or active
            if active or step:
                series.append(
                    {
                        "group": dict(zip(group_by, key, strict=True)),
                        "from": left.isoformat(),
                        "to": right.isoformat(),
                        "metrics": metrics(begun, known, right),
                    }
                )
            left = right
        rows += series if busy or (step and not group_by) else []
    return rows


hours = st.integers(min_value=0, max_value=24 * 10)


@st.composite
def threads(draw: st.DrawFn) -> list[ThreadKpis]:
    out = []
    for number in range(draw(st.integers(min_value=0, max_value=12))):
        started = T0 + timedelta(hours=draw(hours))
        statuses = [
            (T0 + timedelta(hours=draw(hours)), draw(st.sampled_from(STATUSES)))
            for _ in range(draw(st.integers(min_value=0, max_value=5)))
        ]
        out.append(
            ThreadKpis(
                conversation_id=f"c-{draw(st.integers(min_value=0, max_value=number))}",
                life_id="L",
                thread=number,
                started_at=started,
                team=draw(st.sampled_from(("billing", "support", None))),
                channel="email",
                first_response=Measure(60.0, 30.0),
                statuses=statuses,
                business=lambda a, b: (b - a).total_seconds() / 2,
            )
        )
    return out


@PROPERTIES
@given(threads(), hours, st.integers(min_value=1, max_value=24 * 10), st.sampled_from(("day", "week", None)))
def test_the_rows_are_those_of_asking_every_thread_at_every_period_end(
    members: list[ThreadKpis], offset: int, length: int, interval: str | None
) -> None:
    start = T0 + timedelta(hours=offset)
    end = start + timedelta(hours=length)
    step = {"day": timedelta(days=1), "week": timedelta(days=7), None: None}[interval]
    for group_by in ((), ("team",)):
        got = report(members, start=start, end=end, group_by=group_by, interval=interval)
        assert got == reference(members, start, end, group_by, step)


@PROPERTIES
@given(threads(), st.lists(hours, min_size=1, max_size=20))
def test_a_settled_thread_is_solved_or_closed_at_every_later_instant(
    members: list[ThreadKpis], probes: list[int]
) -> None:
    for thread in members:
        settled = thread.settled_at()
        instants = sorted({T0 + timedelta(hours=h) for h in probes} | {when for when, _ in thread.statuses})
        if settled is None:
            # some instant however late finds it waiting: its last state holds for ever
            assert not thread.statuses or thread.statuses[-1][1] not in RESOLVED
            continue
        for instant in instants:
            state = thread.status_at(instant)
            if instant >= settled:
                assert state is None or state in RESOLVED
        # and just before it, the thread was waiting (or not begun): the earliest such instant
        before = thread.status_at(settled - timedelta(microseconds=1))
        assert before is None or before not in RESOLVED


def test_rows_are_calendar_days_and_monday_weeks_whatever_instant_the_range_begins_at() -> None:
    """A range that begins at 12:35 (the default: the week up to now) had rows of 24 hours from
    12:35, so a message of 10:00 on 1 December counted in the row labelled 30 November."""
    start = datetime(2026, 11, 30, 12, 35, tzinfo=UTC)  # a Monday
    end = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    written = ThreadKpis(
        conversation_id="k-5",
        life_id="L",
        thread=1,
        started_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        team="billing",
        channel="email",
        first_response=Measure(60.0, 30.0),
        statuses=[(datetime(2026, 12, 1, 10, 5, tzinfo=UTC), "solved")],
        business=lambda a, b: (b - a).total_seconds(),
    )
    rows = report([written], start=start, end=end, group_by=(), interval="day")
    [row] = [r for r in rows if r["metrics"]["volume"]["value"]]
    assert (row["from"], row["to"]) == ("2026-12-01T00:00:00+00:00", "2026-12-02T00:00:00+00:00")
    assert row["metrics"]["volume"]["conversations"] == ["k-5"]
    assert periods(start, end, "day") == [
        (start, datetime(2026, 12, 1, tzinfo=UTC)),
        (datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)),
        (datetime(2026, 12, 2, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC)),
        (datetime(2026, 12, 3, tzinfo=UTC), end),
    ]
    wednesday = datetime(2026, 11, 25, 8, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert periods(wednesday, end, "week") == [
        (wednesday, datetime(2026, 11, 30, tzinfo=UTC)),
        (datetime(2026, 11, 30, tzinfo=UTC), end),
    ]


def test_days_are_the_time_zone_s_and_a_clock_change_day_has_its_own_length() -> None:
    """KPI days were UTC days only (`?tz=` was refused): a message at 22:00 in New York on 30 November
    was 1 December's, and an ops lead there could not read their own days."""
    new_york = ZoneInfo("America/New_York")
    start = datetime(2026, 10, 31, tzinfo=new_york)
    end = datetime(2026, 11, 3, tzinfo=new_york)
    days = periods(start, end, "day", new_york)
    hours = [(b.astimezone(UTC) - a.astimezone(UTC)).total_seconds() / 3600 for a, b in days]
    assert hours == [24, 25, 24]  # the clocks went back on 1 November
    assert all(a.hour == 0 and a.utcoffset() in (timedelta(hours=-4), timedelta(hours=-5)) for a, _ in days)
    evening = ThreadKpis(
        conversation_id="k-ny",
        life_id="L",
        thread=1,
        started_at=datetime(2026, 11, 2, 3, 0, tzinfo=UTC),  # 22:00 on 1 November in New York
        channel="email",
        statuses=[],
        business=lambda a, b: (b - a).total_seconds(),
    )
    rows = report([evening], start=start, end=end, group_by=(), interval="day", zone=new_york)
    [busy] = [r for r in rows if r["metrics"]["volume"]["value"]]
    assert busy["from"] == "2026-11-01T00:00:00-04:00"
    [utc] = [
        r for r in report([evening], start=start, end=end, interval="day") if r["metrics"]["volume"]["value"]
    ]
    assert utc["from"] == "2026-11-02T00:00:00+00:00"
    weeks = periods(start, datetime(2026, 11, 17, tzinfo=new_york), "week", new_york)
    assert [a.strftime("%a %d") for a, _ in weeks] == ["Sat 31", "Mon 02", "Mon 09", "Mon 16"]
