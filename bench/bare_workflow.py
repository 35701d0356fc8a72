"""The baseline for the lifecycle benchmark: the same number of activities, no rules, no state.

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
