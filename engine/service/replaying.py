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
from collections.abc import Sequence
from dataclasses import dataclass, field

from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from engine.service.audit_bundle import Recorded
from engine.service.worker import WORKFLOWS, workflow_runner

_MESSAGE = re.compile(r'message: "(.*?)", source')
_EVENT = re.compile(r"HistoryEvent\(id: (\d+), (\w+)")


def replayer(data_converter: DataConverter, workflows: Sequence[type] = WORKFLOWS) -> Replayer:
    """Replays as the worker runs (histories written before encryption pass the codec unchanged)."""
    return Replayer(workflows=workflows, data_converter=data_converter, workflow_runner=workflow_runner())


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
        result = await runner.replay_workflow(one.history, raise_on_replay_failure=False)
        tally.replayed += 1
        if result.replay_failure is not None:
            event, detail = explained(result.replay_failure)
            tally.differences.append(Difference(one.conversation, one.run_id, event, detail))
    return tally


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
    event = f"event {named.group(1)} {named.group(2)}" if named else "event not named"
    return event, detail
