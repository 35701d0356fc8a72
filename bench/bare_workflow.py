"""The baselines: the same number of activities with no rules and no state (lifecycle), the API's
shape with those activities and nothing else (the lifecycle's floor), and a trivial workflow that
takes messages as updates (API latency, memory).

Its own module because the workflow sandbox re-imports a workflow's module: this one imports only
temporalio.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
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


@dataclass
class Shares:
    """How many local activities a conversation runs in each of its calls' tasks: handling its first
    message (the patch marker counted here), taking the reply, taking the close."""

    handling: int
    reply: int
    close: int


@workflow.defn
class ShapedConversation:
    """A conversation's shape and nothing of convoflow's: the first message is answered when recorded
    and handled after a 1 ms timer, as convoflow answers (docs/ARCHITECTURE.md "A message is answered
    when recorded"); the reply and the close are updates that first handle a message still waiting
    for its timer, as a conversation's do; each runs its share of the same local activities (the
    patch marker's share is one more, as in `BareWorkflow`). What convoflow costs over it is its
    own work: rules, records, state, search attributes, the codec."""

    @workflow.init
    def __init__(self, shares: Shares) -> None:
        self._shares = shares
        self._waiting = 0
        self._handled = 0
        self._closed = False
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, shares: Shares) -> int:
        while not self._closed:
            await workflow.wait_condition(lambda: self._waiting > 0 or self._closed)
            if self._waiting:
                await workflow.sleep(timedelta(milliseconds=1))  # the answer goes out first
                async with self._lock:
                    await self._handle_waiting()
        return self._handled

    async def _handle_waiting(self) -> None:
        """Handle the messages waiting (the caller holds the lock)."""
        while self._waiting:
            self._waiting -= 1
            await self._steps(self._shares.handling)
            self._handled += 1

    async def _steps(self, count: int) -> int:
        total = 0
        for _ in range(count):
            total = await workflow.execute_local_activity(
                bare_step, total, start_to_close_timeout=timedelta(seconds=30)
            )
        return total

    @workflow.update
    async def receive(self, text: str) -> int:
        self._waiting += 1
        return self._waiting

    @workflow.update
    async def reply(self, text: str) -> int:
        async with self._lock:
            await self._handle_waiting()
            return await self._steps(self._shares.reply)

    @workflow.update
    async def close_now(self) -> int:
        async with self._lock:
            await self._handle_waiting()
            steps = await self._steps(self._shares.close)
        self._closed = True
        return steps
