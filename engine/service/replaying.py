"""Replaying recorded histories with the current workflow code: would today's worker take the same path?

A conversation's history is replayed on any worker that picks it up after a deploy (an evicted or
restarted worker rebuilds its state so). When the code took another path for the same events, the
SDK raises a nondeterminism error naming the event and the command that differ: that conversation
would be stuck on the new code. The replayer here is the worker's: the same workflows, sandbox and
data converter (the payload keyring decrypts the histories), used by `convoflow audit replay` and by
the test suite's determinism checks (tests/replay.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.converter import (
    DataConverter,
    PayloadCodec,
    WithSerializationContext,
    WorkflowSerializationContext,
)
from temporalio.worker import Replayer, WorkflowReplayResult

from engine.service.audit_bundle import Recorded
from engine.service.worker import WORKFLOWS, workflow_runner

_MESSAGE = re.compile(r'message: "(.*?)", source')
_EVENT = re.compile(r"HistoryEvent\(id: (\d+), (\w+)")
_OUT_OF_ORDER = re.compile(r"History is out of order\. Last processed event: \d+, event id: (\d+)")


def replayer(data_converter: DataConverter, workflows: Sequence[type] = WORKFLOWS) -> Replayer:
    """Replays as the worker runs (histories written before encryption pass the codec unchanged)."""
    return Replayer(workflows=workflows, data_converter=data_converter, workflow_runner=workflow_runner())


DEADLOCK_RETRIES = 2


async def replayed(runner: Replayer, history: WorkflowHistory) -> WorkflowReplayResult:
    """`history` replayed, its failure in the result. A replay the SDK cut short as a deadlock (a
    workflow task that did not yield within its 2 s: a loaded machine, the sandbox importing modules)
    is run again, up to DEADLOCK_RETRIES times: it says nothing of the code, and an auditor read it
    as a difference (CI failed on it once with two jobs sharing two cores)."""
    for attempt in range(DEADLOCK_RETRIES + 1):
        result = await runner.replay_workflow(history, raise_on_replay_failure=False)
        failure = result.replay_failure
        if failure is None or "DeadlockError" not in str(failure) or attempt == DEADLOCK_RETRIES:
            return result
    raise AssertionError("unreachable")  # the loop returns on its last attempt


@dataclass(frozen=True)
class Difference:
    """A run the current code does not replay: where, the history event that differs, and why."""

    conversation: str
    run_id: str
    event: str
    detail: str

    def describe(self) -> str:
        return f"conversation {self.conversation} run {self.run_id}: {self.event}: {self.detail}"


@dataclass
class Tally:
    replayed: int = 0
    differences: list[Difference] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.replayed} replayed, {len(self.differences)} differences"


async def replay_all(
    recorded: Sequence[Recorded], data_converter: DataConverter, workflows: Sequence[type] = WORKFLOWS
) -> Tally:
    """Replay every history; a failure is counted and described, never raised."""
    tally = Tally()
    runner = replayer(data_converter, workflows)
    for one in recorded:
        tally.replayed += 1
        misplaced = unreplayable(one)
        if misplaced is not None:
            tally.differences.append(Difference(one.conversation, one.run_id, *misplaced))
            continue
        if data_converter.payload_codec is not None:
            unreadable = await first_undecodable(one.history, data_converter.payload_codec)
            if unreadable is not None:
                tally.differences.append(Difference(one.conversation, one.run_id, *unreadable))
                continue
        result = await replayed(runner, one.history)
        if result.replay_failure is not None:
            event, detail = explained(result.replay_failure)
            tally.differences.append(Difference(one.conversation, one.run_id, event, detail))
    return tally


def unreplayable(one: Recorded) -> tuple[str, str] | None:
    """Why the history cannot be this run's, before the SDK is given it; None when it may be.

    Events out of order, or one missing, made the SDK's core panic and the replay never end (an
    auditor's `audit replay` of an edited bundle hung until killed: helper-121). Another run's
    history under this run's name replayed as "0 differences": its first event names the workflow
    and run it began (`verify` finds both too; a replay alone must not pass them)."""
    events = one.history.events
    for position, event in enumerate(events, 1):
        if event.event_id != position:
            return _named(event), (
                f"found at position {position}: the history's events are out of order or one is missing"
            )
        # The core's own rule, which it panics on rather than reports (events renumbered after a swap).
        after = events[position] if position < len(events) else None
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED and after is not None:
            if after.event_type not in _ENDS_A_TASK:
                return _named(
                    after
                ), f"follows the workflow task started at event {position}, which it cannot"
    if not events or not events[0].HasField("workflow_execution_started_event_attributes"):
        return "event 1", "the history does not begin with the run's start"
    started = events[0].workflow_execution_started_event_attributes
    workflow_id, run_id = started.workflow_id, started.original_execution_run_id
    # A run made by a reset keeps its base run's id as its original one; its failed task names it.
    reset_into = {
        e.workflow_task_failed_event_attributes.new_run_id
        for e in events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    }
    other_run = run_id and run_id != one.run_id and one.run_id not in reset_into
    if (workflow_id and workflow_id != one.history.workflow_id) or other_run:
        theirs = f"run {run_id} of {workflow_id}"
        return "event 1 WORKFLOW_EXECUTION_STARTED", (
            f"this history is {theirs}, not run {one.run_id} of {one.history.workflow_id}"
        )
    return None


_ENDS_A_TASK = (
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
)


def _named(event: HistoryEvent) -> str:
    return f"event {event.event_id} {EventType.Name(event.event_type).removeprefix('EVENT_TYPE_')}"


async def first_undecodable(history: WorkflowHistory, codec: PayloadCodec) -> tuple[str, str] | None:
    """The first event holding a payload the keyring does not decrypt, and why; None when all do.

    Replayed, such a payload fails inside the workflow's activation: the SDK logs a traceback and the
    failure comes back as "Encoded failure", naming no event. Checked first, the auditor reads which
    event of the history was edited (or sealed under a key this deployment does not have).
    """
    if isinstance(codec, WithSerializationContext):
        # Decoded as the replay decodes: in the workflow's context, so a payload sealed for another
        # tenant than the history's workflow (a history swapped into a bundle) is named here too,
        # instead of failing inside the replay as "event not named" behind an SDK traceback.
        # The codec reads the tenant from the workflow id; the namespace plays no part in it.
        context = WorkflowSerializationContext(namespace="", workflow_id=history.workflow_id)
        codec = codec.with_context(context)
    for event in history.events:
        for payload in _payloads(event):
            try:
                await codec.decode([payload])
            except Exception as exc:
                name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
                return f"event {event.event_id} {name}", f"a payload does not decode: {exc}"
    return None


def _payloads(message: Message) -> Iterator[Payload]:
    """Every Payload inside a protobuf message, however deep (inputs, results, headers, memos)."""
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None:
            continue
        if descriptor.message_type.GetOptions().map_entry:
            items = list(value.values())
        elif descriptor.is_repeated:
            items = list(value)
        else:
            items = [value]
        for item in items:
            if isinstance(item, Payload):
                yield item
            elif isinstance(item, Message):
                yield from _payloads(item)


def explained(error: BaseException) -> tuple[str, str]:
    """The event a replay failure names (`event 7 ActivityTaskScheduled`) and the SDK's reason.

    The SDK's nondeterminism error wraps the core's failure text, e.g. `... message: "[TMPRL1100]
    Nondeterminism error: Timer machine does not handle this event: HistoryEvent(id: 7,
    ActivityTaskScheduled)", source: ...`; anything else is reported by its first line.
    """
    text = str(error).strip() or type(error).__name__
    inner = _MESSAGE.search(text)
    detail = inner.group(1) if inner else text.splitlines()[0]
    named = _EVENT.search(detail)
    out_of_order = _OUT_OF_ORDER.search(detail)
    if named:
        event = f"event {named.group(1)} {named.group(2)}"
    elif out_of_order:  # an event removed or moved: the core names the one it met instead
        event = f"event {out_of_order.group(1)}"
    else:
        event = "event not named"
    return event, detail
