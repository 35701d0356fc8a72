"""What the bench tenant's assignment desk went through, read from its histories after the floor.

A desk's workflow task that continues as new is refused when a message reaches the desk meanwhile
(`UnhandledCommand`). The SDK then evicts the desk and replays its whole run before it can try
again, and no request is answered during the replay. When runs are long, that replay takes seconds
on a loaded machine, and more messages come in during it. So the count of refused tasks, and the
longest wait between a task's start and the next successful one, are printed beside the routing
times they explain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client


@dataclass
class DeskRuns:
    """The desk's runs and its workflow tasks that did not complete (also read of a conversation whose
    breach never came: bench/sla_timing.py `why_no_breach`)."""

    runs: int = 0
    events: list[int] = field(default_factory=list)
    failed_tasks: dict[str, int] = field(default_factory=dict)
    longest_outage_s: float = 0.0
    """Longest time from a failed task's start to the next completed task: no request answered."""

    @property
    def failed(self) -> str:
        """The failed tasks by cause, `2 unhandled_command, 1 timed_out`, or `none`."""
        return ", ".join(f"{n} {cause}" for cause, n in sorted(self.failed_tasks.items())) or "none"

    def describe(self) -> str:
        longest = max(self.events, default=0)
        return (
            f"desk: {self.runs} runs (longest {longest} events); workflow tasks failed: {self.failed}; "
            f"longest stretch without a completed task after a failure {self.longest_outage_s:.1f} s"
        )


async def read_desk_runs(client: Client, workflow_id: str) -> DeskRuns:
    """Every run of the desk `workflow_id`, newest first: each run's start names the run it continues."""
    found = DeskRuns()
    run_id: str | None = None
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        found.runs += 1
        found.events.append(len(history.events))
        count_failures(history.events, found)
        started = history.events[0].workflow_execution_started_event_attributes
        if not started.continued_execution_run_id:
            return found
        run_id = started.continued_execution_run_id


def count_failures(events: Sequence[HistoryEvent], found: DeskRuns) -> None:
    """Add a run's failed and timed-out workflow tasks, and its longest stretch after one, to `found`."""
    started: datetime | None = None
    failed_since: datetime | None = None
    for event in events:
        at = event.event_time.ToDatetime()
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            started = at
        elif event.event_type in (
            EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
            EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
        ):
            name = _why_not_completed(event)
            found.failed_tasks[name] = found.failed_tasks.get(name, 0) + 1
            failed_since = failed_since or started or at
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and failed_since:
            found.longest_outage_s = max(found.longest_outage_s, (at - failed_since).total_seconds())
            failed_since = None


def _why_not_completed(event: HistoryEvent) -> str:
    """`unhandled_command` and the like for a failed task, `timed_out` for one that ran out of time."""
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
        return "timed_out"
    cause = WorkflowTaskFailedCause.Name(event.workflow_task_failed_event_attributes.cause)
    return cause.removeprefix("WORKFLOW_TASK_FAILED_CAUSE_").lower()
