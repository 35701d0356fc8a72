"""Work a conversation leaves to the background: a send or a CRM write the far side did not take at once.

The far side may stay down for up to an hour of retries (options.py DELIVERY, CRM_WRITE); awaited in
the handler that asked for it, that hour held the handler and the conversation's lock, so an agent's
reply or a status change was answered 503 meanwhile (delivery.py). A line runs its items one after
another in the order they were put in, each in a task of the workflow (deterministic: the SDK's event
loop runs them in a fixed order), so a customer still gets the acknowledgement before the replies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from temporalio import workflow


@dataclass(frozen=True)
class Ended:
    """An item of a line that ended, waiting for the main loop to put it on the trail."""

    event: str  # message.delivered, message.delivery_failed, crm.written, crm.write_failed
    note: str
    kind: str  # the send's kind (agent_reply, survey, ...) or "crm"
    thread: int  # the thread that put it in
    message_id: str | None = None  # an agent reply's own id, for the integrator's event


class Line:
    """Items that run one after another, each once the one before it ended."""

    def __init__(self) -> None:
        self.waiting = 0  # items put in and not ended yet
        self._last: asyncio.Task[None] | None = None

    def put(self, item: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """`item` is called when its turn comes (a coroutine made now and never run, because the
        worker evicted the run first, would be reported as never awaited)."""
        self.waiting += 1
        self._last = asyncio.create_task(self._after(self._last, item))

    async def _after(
        self, before: asyncio.Task[None] | None, item: Callable[[], Coroutine[Any, Any, None]]
    ) -> None:
        try:
            if before is not None:
                # Whatever became of it: an item that raised (a bug) must not stop the ones after it.
                await workflow.wait([before])
            await item()
        finally:
            self.waiting -= 1
