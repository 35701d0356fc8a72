"""The baselines: the same number of activities with no rules and no state (lifecycle), and a
trivial workflow that takes messages as updates (API latency, memory).

Its own module because the workflow sandbox re-imports a workflow's module: this one imports only
temporalio.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bare_step")
def bare_step(n: int) -> int:
    return n + 1


@workflow.defn
class BareWorkflow:
    """N activities, then M local activities, in sequence."""

    @workflow.run
    async def run(self, counts: list[int]) -> int:
        total = 0
        for _ in range(counts[0]):
            total = await workflow.execute_activity(
                bare_step, total, start_to_close_timeout=timedelta(seconds=30)
            )
        for _ in range(counts[1]):
            total = await workflow.execute_local_activity(
                bare_step, total, start_to_close_timeout=timedelta(seconds=30)
            )
        return total


@workflow.defn
class BareConversation:
    """The trivial workflow the API and memory baselines open: it counts messages until closed."""

    def __init__(self) -> None:
        self._messages = 0
        self._closed = False

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self._closed)
        return self._messages

    @workflow.update
    async def receive(self, text: str) -> int:
        self._messages += 1
        return self._messages

    @workflow.signal
    def close(self) -> None:
        self._closed = True

    @workflow.update
    async def close_now(self) -> int:
        """The close as an update, as a conversation takes it (the lifecycle's same-calls baseline)."""
        self._closed = True
        return self._messages
