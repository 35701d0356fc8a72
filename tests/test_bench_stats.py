"""The benchmarks' own arithmetic: percentiles, CPU attribution per phase, memory scaling, and the
SLA pack and breach delay the sla-accuracy and scale benchmarks rest on."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.history.v1 import (
    HistoryEvent,
    WorkflowTaskCompletedEventAttributes,
    WorkflowTaskStartedEventAttributes,
)

from bench.sla_timing import Task, Timer, delay_parts, first_breach, read_history, write_pack
from bench.stats import CpuSample, arrival_times, per_unit_ms, percentile, scaled
from engine.calendar import BusinessCalendar
from engine.service.pack_files import load_valid


def test_percentiles_are_measured_values_by_nearest_rank() -> None:
    samples = [float(n) for n in range(200, 0, -1)]  # 1..200, unsorted
    assert percentile(samples, 50) == 100.0
    assert percentile(samples, 99) == 198.0  # the 198th smallest of 200: never a blend
    assert percentile(samples, 100) == 200.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == 4.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 0)


def test_cpu_of_a_phase_is_what_each_process_spent_in_it_per_conversation() -> None:
    before = CpuSample({"worker": 10.0, "server": 4.0})
    after = CpuSample({"worker": 12.5, "server": 5.0})
    spent = after.minus(before)
    assert spent == {"worker": 2.5, "server": 1.0}
    assert per_unit_ms(spent, 50) == {"worker": 50.0, "server": 20.0}
    with pytest.raises(ValueError):
        per_unit_ms(spent, 0)


def test_memory_growth_scales_to_a_thousand_workflows_in_megabytes() -> None:
    assert scaled(58_000_000, 200) == pytest.approx(290.0)
    assert scaled(1_000_000, 1000) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        scaled(1, 0)


def test_the_sla_bench_pack_is_a_valid_pack_whose_deadline_is_seconds_away(tmp_path) -> None:
    pack = load_valid(write_pack(tmp_path / "pack", 4.0))
    policy = pack.sla_policies["fast"]
    assert policy.first_response_minutes is not None
    calendar = BusinessCalendar.from_dict(pack.calendars[policy.calendar])
    sunday_night = datetime(2026, 12, 6, 23, 59, 58, tzinfo=UTC)  # 24/7: no closed hours to skip
    assert calendar.deadline(sunday_night, timedelta(minutes=policy.first_response_minutes)) == (
        sunday_night + timedelta(seconds=4)
    )
    assert [r.id for r in pack.rules] == ["fast-sla"]


def test_breach_delay_runs_from_the_exact_deadline_to_the_task_that_handled_it() -> None:
    deadline = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    ms = timedelta(milliseconds=1)
    # Woken early, it re-armed in a task that ended after the deadline: that task did not breach.
    early = Task(deadline - 5 * ms, deadline + 10 * ms)
    handled = Task(deadline + 30 * ms, deadline + 45 * ms)
    later = Task(deadline + 900 * ms, deadline + 950 * ms)
    breach = first_breach(deadline, [later, early, handled])
    assert breach is not None and breach.delay == pytest.approx(0.045)
    assert first_breach(deadline, [early]) is None
    assert first_breach(None, [handled]) is None


def test_a_breach_decided_in_a_task_that_started_within_a_microsecond_of_its_deadline_is_found() -> None:
    """The workflow reads its task's start rounded to the microsecond (`workflow.now()`): a task the
    server started 0.3 us before the deadline is at the deadline for it, and the breach is decided in
    it. Read truncated, the history put that task before the deadline and the breach went unfound."""
    deadline = datetime(2026, 12, 2, 12, 0, 0, 123457, tzinfo=UTC)
    start_ns = int(deadline.timestamp()) * 10**9 + 123_456_700  # 0.3 us before it

    def event(ns: int, **attributes: object) -> HistoryEvent:
        return HistoryEvent(event_time=Timestamp(seconds=ns // 10**9, nanos=ns % 10**9), **attributes)

    events = [
        event(start_ns, workflow_task_started_event_attributes=WorkflowTaskStartedEventAttributes()),
        event(
            start_ns + 9_000_000,
            workflow_task_completed_event_attributes=WorkflowTaskCompletedEventAttributes(),
        ),
    ]
    _, tasks = read_history(events)
    breach = first_breach(deadline, tasks)
    assert breach is not None and breach.delay == pytest.approx(0.009, abs=1e-6)


def test_a_breach_delay_splits_into_timer_aim_server_tick_and_worker_pickup() -> None:
    deadline = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    ms = timedelta(milliseconds=1)
    warning = Timer(deadline - 4000 * ms, 3000 * ms, deadline - 900 * ms)
    # set 200 ms late (computed at the task's start), fired 700 ms after due, recorded 50 ms later
    woke = Timer(deadline - 800 * ms, 1000 * ms, deadline + 900 * ms)
    later = Timer(deadline, 60_000 * ms, deadline + 61_000 * ms)  # after the breach: not the one
    parts = delay_parts(deadline, deadline + 950 * ms, [warning, woke, later])
    assert parts == pytest.approx({"timer set late": 0.2, "server tick": 0.7, "worker pickup": 0.05})
    assert sum(parts.values()) == pytest.approx(0.95)


def test_sla_openings_arrive_at_the_mean_rate_at_every_phase_of_the_steady_pace() -> None:
    """The sla-accuracy openings: the same for a seed, about `rate` a second, and not in step with a
    steady pace of the same rate (whose whole multiples the SLA is), so deadlines do not all fall
    at the instant a later conversation opens."""
    times = arrival_times(400, 4.0)
    assert times == arrival_times(400, 4.0) and times[0] == 0.0
    assert all(later > earlier for earlier, later in itertools.pairwise(times))
    assert 3.5 < len(times) / times[-1] < 4.5
    phases = [(t * 4.0) % 1.0 for t in times[1:]]
    assert all(sum(lo <= p < lo + 0.25 for p in phases) > 60 for lo in (0.0, 0.25, 0.5, 0.75))
