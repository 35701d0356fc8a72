"""SLA timers under measurement: a pack whose first-response deadline is seconds away, and how late
each conversation's breach was recorded.

The pack is legal as any tenant's: a 24/7 calendar and a policy of a fraction of a minute (pack
durations are floats), applied to every new conversation. The exact deadline is the one the
workflow computed and keeps in its state (`breached_at` is set to it). The breach is recorded by the
first workflow task that starts at or after the deadline (its `workflow.now()` is the task's start),
and it is in history, with its decision and actions, when that task completes: the completion's
event time is the breach's recorded time. (The decision entry's `at` is the deadline itself since
issue 15, so it cannot say how late the workflow acted.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client

from bench.desk_runs import DeskRuns, count_failures
from workflows.conversation.workflow import ConversationWorkflow

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def write_pack(directory: Path, first_response_seconds: float, warning_fraction: float | None = None) -> Path:
    """A pack directory whose every conversation breaches its first response after the given time
    (warned at the policy's default fraction of it, or the one given)."""
    directory.mkdir(parents=True, exist_ok=True)
    hours = ", ".join(f'{day}: [["00:00", "24:00"]]' for day in DAYS)
    minutes = first_response_seconds / 60
    warning = f", warning_fraction: {warning_fraction!r}" if warning_fraction is not None else ""
    (directory / "pack.yaml").write_text(
        "meta: {name: sla-bench}\n"
        f"calendars:\n  always: {{timezone: UTC, hours: {{{hours}}}}}\n"
        f"sla_policies:\n  fast: {{calendar: always, first_response_minutes: {minutes!r}{warning}}}\n"
        "rules:\n  - {id: fast-sla, on: [conversation.created], then: [{apply_sla: fast}]}\n"
    )
    return directory


@dataclass(frozen=True)
class Breach:
    """A conversation's first-response breach: the exact deadline and when the breach was recorded."""

    deadline: datetime
    recorded: datetime

    @property
    def delay(self) -> float:
        """Seconds from the deadline to the recorded breach."""
        return (self.recorded - self.deadline).total_seconds()


@dataclass(frozen=True)
class Task:
    """A workflow task of the history: when it started and when it completed."""

    started: datetime
    completed: datetime


def first_breach(deadline: datetime | None, tasks: Sequence[Task]) -> Breach | None:
    """The breach of a deadline as the completion of the first task started at or after it; None while
    no such task completed."""
    if deadline is None:
        return None
    handled = [t.completed for t in tasks if t.started >= deadline]
    return Breach(deadline, min(handled)) if handled else None


@dataclass(frozen=True)
class Timer:
    """A Temporal timer of the workflow's history: when it was started, for how long, when it fired."""

    started: datetime
    timeout: timedelta
    fired: datetime


def delay_parts(deadline: datetime, recorded: datetime, timers: Sequence[Timer]) -> dict[str, float]:
    """Where a breach's delay went, in seconds, from the timer that woke the workflow for it (the last
    to fire before the breach was recorded): the timer aimed past the deadline (`timer set late`:
    its duration was computed before the task ended), the server fired it after it was due (`server
    tick`), and the worker recorded the breach after it fired (`worker pickup`)."""
    woke = max((t for t in timers if t.fired <= recorded), key=lambda t: t.fired)
    due = woke.started + woke.timeout
    return {
        "timer set late": (due - deadline).total_seconds(),
        "server tick": (woke.fired - due).total_seconds(),
        "worker pickup": (recorded - woke.fired).total_seconds(),
    }


def on_workflow_clock(at: Timestamp) -> datetime:
    """An event's time as a workflow's clock reads it. `workflow.now()` of a task is its started
    event's time in ns turned into a float of seconds, so rounded to the microsecond, where
    `Timestamp.ToDatetime` truncates: a task the server started 0.3 us before a deadline reads as
    the deadline in the workflow, which decides the breach in it, and as before it truncated. (A
    `bench scale` run of 10,000 found 9,999 breaches and could not say why; this is the likely cause,
    about one in 10,000 by the spread of task starts around a deadline, not a confirmed one.)"""
    return datetime.fromtimestamp(at.ToNanoseconds() / 1e9, UTC)


def read_history(events: Iterable[HistoryEvent]) -> tuple[list[Timer], list[Task]]:
    """The fired timers and the completed workflow tasks of a history's events."""
    started: dict[str, tuple[datetime, timedelta]] = {}
    timers: list[Timer] = []
    tasks: list[Task] = []
    task_started: datetime | None = None
    for event in events:
        at = on_workflow_clock(event.event_time)
        if event.HasField("timer_started_event_attributes"):
            attrs = event.timer_started_event_attributes
            started[attrs.timer_id] = (at, attrs.start_to_fire_timeout.ToTimedelta())
        elif event.HasField("timer_fired_event_attributes"):
            begun, timeout = started[event.timer_fired_event_attributes.timer_id]
            timers.append(Timer(begun, timeout, at))
        elif event.HasField("workflow_task_started_event_attributes"):
            task_started = at
        elif event.HasField("workflow_task_completed_event_attributes") and task_started is not None:
            tasks.append(Task(task_started, at))
    return timers, tasks


async def history_of(client: Client, workflow_id: str) -> tuple[list[Timer], list[Task]]:
    """The fired timers and the completed workflow tasks of a workflow's history."""
    return read_history((await client.get_workflow_handle(workflow_id).fetch_history()).events)


async def breach_of(client: Client, workflow_id: str) -> tuple[Breach, list[Timer]] | None:
    """How late the first-response breach of one conversation was recorded, if it was yet, and the
    timers that led to it."""
    handle = client.get_workflow_handle_for(ConversationWorkflow.run, workflow_id)
    state = await handle.query(ConversationWorkflow.state)
    target = state.sla.targets.get("first_response")
    if target is None or target.breached_at is None:
        return None
    timers, tasks = await history_of(client, workflow_id)
    breach = first_breach(target.breached_at, tasks)
    return None if breach is None else (breach, timers)


async def breaches(
    client: Client, workflow_ids: Sequence[str], *, within: float, concurrency: int = 20
) -> dict[str, tuple[Breach, list[Timer]]]:
    """Each conversation's breach, waiting up to `within` seconds for them all; conversations whose
    breach never came are missing from the answer."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    semaphore = asyncio.Semaphore(concurrency)
    found: dict[str, tuple[Breach, list[Timer]]] = {}

    async def check(wf_id: str) -> None:
        async with semaphore:
            breach = await breach_of(client, wf_id)
        if breach is not None:
            found[wf_id] = breach

    while True:
        await asyncio.gather(*(check(w) for w in workflow_ids if w not in found))
        if len(found) == len(workflow_ids) or loop.time() > deadline:
            return found
        await asyncio.sleep(1.0)


async def why_no_breach(client: Client, workflow_id: str) -> str:
    """What a conversation whose breach never came shows: its SLA target as its state says, whether it
    runs, its workflow tasks that failed or timed out, and its timers still pending. No content of
    the conversation, only its shape, so it can be printed."""
    handle = client.get_workflow_handle_for(ConversationWorkflow.run, workflow_id)
    description = await handle.describe()
    status = description.status.name if description.status else "unknown"
    try:
        state = await handle.query(ConversationWorkflow.state)
    except Exception as exc:  # reported, not raised: the other conversations' figures still print
        target = f"state query failed ({type(exc).__name__})"
    else:
        sla = state.sla.targets.get("first_response")
        target = (
            "no first_response target"
            if sla is None
            else f"first_response deadline {sla.deadline}, running {sla.running}, "
            f"breached_at {sla.breached_at}"
        )
    history = await handle.fetch_history()
    failures = DeskRuns()
    count_failures(history.events, failures)
    started, ended = set(), set()
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            started.add(event.timer_started_event_attributes.timer_id)
        elif event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            ended.add(event.timer_fired_event_attributes.timer_id)
        elif event.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
            ended.add(event.timer_canceled_event_attributes.timer_id)
    last = EventType.Name(history.events[-1].event_type).removeprefix("EVENT_TYPE_").lower()
    return (
        f"{workflow_id}: {status}; {target}; {len(history.events)} events, the last {last}; "
        f"workflow tasks failed: {failures.failed}; timers pending: {len(started - ended)}"
    )
