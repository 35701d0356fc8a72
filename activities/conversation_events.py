"""The subscriptions' writer: the conversation's events of one handled event, queued per subscription.

Called by the workflow as a local activity (engine/contracts/events.py says what an event holds);
the queue ignores an event id it already has for a subscription, so retries queue nothing twice.
When it queued something it nudges the worker's dispatcher, which then delivers at once instead of
at its next poll. Concurrent conversations' events are queued together, one transaction for all
of them (engine/db/group_commit.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from temporalio import activity

from engine.contracts.activities import RECORD_EVENTS, ConversationEvents
from engine.contracts.events import ConversationEvent, EventBatch
from engine.db.event_deliveries import EventDeliveries
from engine.db.group_commit import GroupCommit


class ConversationEventActivities(ConversationEvents):
    def __init__(self, queue: EventDeliveries, queued: Callable[[], None] = lambda: None) -> None:
        self._queue = queue
        self._queued = queued
        self._writes = GroupCommit(self._add_many)

    async def _add_many(self, batches: Sequence[Sequence[ConversationEvent]]) -> list[int]:
        return await self._queue.add_many(batches, datetime.now(UTC))

    def announce(self, added: int) -> None:
        """Deliveries were queued (here or by another writer): the dispatcher delivers them at once."""
        if added:
            self._queued()

    @activity.defn(name=RECORD_EVENTS)
    async def record_events(self, batch: EventBatch) -> int:
        added = await self._writes.write(batch.events)
        self.announce(added)
        return added
