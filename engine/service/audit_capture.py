"""Getting each event's rule context back from a conversation's histories, by replaying them.

The trail keeps decisions, not the contexts they were made on. Replaying every run of the
conversation with the worker's own workflows, sandbox and data converter (as tests/replay.py does)
makes the workflow ask its `decide` local activity again, and a workflow outbound interceptor sees
each request and, once replay resolves it from the history's marker, the recorded answer: the
context the rules saw is `DecideResult.context_for(request.context)`, exactly what the workflow
itself uses to render templates. Nothing is decided again and nothing is sent: the replayer runs
no activity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import workflow
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import (
    Interceptor,
    Replayer,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from engine.audit.captured import CapturedDecision
from engine.contracts.activities import DECIDE
from engine.contracts.decisions import DecideRequest, DecideResult
from engine.service.replaying import replayed
from engine.service.worker import WORKFLOWS, workflow_runner

Sink = Callable[[CapturedDecision], None]


class ReplayFailed(RuntimeError):
    """A run's history does not replay with this code: its contexts cannot be trusted, so none are given."""


class DecideCapture(Interceptor):
    """Hands every `decide` a replayed workflow makes, with its recorded answer, to `sink`."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor] | None:
        sink = self._sink

        class Inbound(WorkflowInboundInterceptor):
            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                super().init(_Outbound(outbound, sink))

        return Inbound


class _Outbound(WorkflowOutboundInterceptor):
    def __init__(self, next: WorkflowOutboundInterceptor, sink: Sink) -> None:
        super().__init__(next)
        self._sink = sink

    def start_local_activity(self, input: StartLocalActivityInput) -> workflow.ActivityHandle[Any]:
        handle = super().start_local_activity(input)
        if input.activity == DECIDE and input.args and isinstance(input.args[0], DecideRequest):
            request: DecideRequest = input.args[0]
            seq, thread = _deciding_entry(request)
            run_id = workflow.info().run_id
            sink = self._sink

            def resolved(done: workflow.ActivityHandle[Any]) -> None:
                if done.cancelled():
                    return
                failure = done.exception()
                context = request.context
                decision = None
                if failure is None:
                    result = done.result()
                    if isinstance(result, DecideResult):
                        context, decision = result.context_for(request.context), result.decision
                event = context.get("event") or {}
                sink(
                    CapturedDecision(
                        run_id=run_id,
                        seq=seq,
                        thread=thread,
                        event=str(event.get("type")),
                        at=event.get("time"),
                        pack_hash=request.pack_hash,
                        context=context,
                        decision=decision,
                        failure=None if failure is None else str(failure),
                    )
                )

            handle.add_done_callback(resolved)
        return handle


def _deciding_entry(request: DecideRequest) -> tuple[int | None, int]:
    """The seq and thread of the trail entry being decided.

    workflows/conversation/deciding.py records the entry and asks `decide` with no await between,
    so it is the trail's last entry when the request starts. Read defensively: the workflow's
    attribute names are its own, and a mismatch leaves the seq unknown rather than wrong.
    """
    state = getattr(workflow.instance(), "_state", None)
    decisions = getattr(state, "decisions", None)
    if not decisions:
        return None, 1
    entry = decisions[-1]
    if entry.event != (request.context.get("event") or {}).get("type"):
        return None, entry.thread
    return entry.seq, entry.thread


async def run_histories(client: Client, workflow_id: str) -> list[WorkflowHistory]:
    """The histories of every run of the conversation's life, oldest first (continue-as-new chain)."""
    latest = await client.get_workflow_handle(workflow_id).describe()
    histories: list[WorkflowHistory] = []
    run_id: str | None = latest.run_id
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        histories.append(history)
        started = history.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id or None
    return histories[::-1]


async def captured_decisions(client: Client, workflow_id: str) -> list[CapturedDecision]:
    """Every decision of the conversation's life with the exact context it was made on, in order."""
    captured: list[CapturedDecision] = []
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=client.data_converter,
        workflow_runner=workflow_runner(),
        interceptors=[DecideCapture(captured.append)],
    )
    for history in await run_histories(client, workflow_id):
        result = await replayed(replayer, history)
        if result.replay_failure is not None:
            raise ReplayFailed(
                f"run {history.run_id} of {workflow_id} does not replay with this code "
                f"({type(result.replay_failure).__name__}): `convoflow audit replay` says where"
            )
    return captured
