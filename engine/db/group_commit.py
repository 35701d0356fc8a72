"""Group commit: concurrent callers' writes of one kind, gathered into one transaction.

Under load a worker runs many conversations' local activities at once, and each used to write its
few rows in a transaction of its own. On SQLite every statement is a round trip through aiosqlite's
thread and an event loop the workflow activations keep busy, and only one transaction writes at a
time: at 16 conversations in flight `record_handled` took 0.2-0.5 s at the median and seconds in the
tail, almost all of it waiting for the writer (docs/performance.md, session 13). Here the first
caller's write starts at once, and whoever arrives while it runs is written by the next transaction,
all together: no timer, so an idle worker writes exactly as soon as before, and a busy one writes
fewer, larger transactions.

Each caller still gets its own answer. When a gathered transaction fails, its callers are written
again one by one, so a row only one of them could not write fails that caller alone. A writer whose
lone write has a fallback of its own (`record_handled`: events and facts in one transaction, else
each in its own) gives it as `write_one`, which then also answers a lone caller whose write failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Callers per transaction: a bound on one transaction's size (and on the time the writer holds
# SQLite's lock), far above what a worker's local-activity slots can bring at once.
MOST_PER_WRITE = 256


class GroupCommit(Generic[Item, Result]):
    """Writes items through `write_many` (one transaction for a list, one result per item, in order).
    When that fails for several items, each is written again through `write_one` (by default
    `write_many` of the item alone); a lone item's failure is its answer, unless a `write_one` of
    its own was given, which is then tried too."""

    def __init__(
        self,
        write_many: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        write_one: Callable[[Item], Awaitable[Result]] | None = None,
        most: int = MOST_PER_WRITE,
    ) -> None:
        self._write_many = write_many
        self._write_one = write_one or self._alone
        self._lone_fallback = write_one is not None
        self._most = most
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, item: Item) -> Result:
        """Write `item` with whatever else is waiting; its own result, or its own exception."""
        answer: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, answer))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        # A caller cancelled while waiting (its activity timed out) leaves its item to be written
        # anyway. Every writer here is idempotent for its retry: rows are inserted-or-ignored, a
        # delivery claim is taken over once its lease ends (as after a crash), a settle is final.
        return await answer

    async def _drain(self) -> None:
        taken: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._waiting:
                taken, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
                await self._write(taken)
        finally:  # stopped (the worker shuts down): nobody may wait for a write that will not come
            for _, answer in taken + self._waiting:
                if not answer.done():
                    answer.cancel()

    async def _alone(self, item: Item) -> Result:
        return (await self._write_many([item]))[0]

    async def _write(self, taken: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        if len(taken) > 1 or self._lone_fallback:
            try:
                results = await self._write_many([item for item, _ in taken])
            except Exception:  # each caller learns its own outcome below
                pass
            else:
                for (_, answer), result in zip(taken, results, strict=True):
                    if not answer.done():
                        answer.set_result(result)
                return
        for item, answer in taken:
            try:
                result = await self._write_one(item)
            except Exception as exc:  # handed to the caller, who raises it
                if not answer.done():
                    answer.set_exception(exc)
            else:
                if not answer.done():
                    answer.set_result(result)
