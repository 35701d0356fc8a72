"""The subscriptions' writer: the conversation's events of one handled event, queued per subscription.

Called by the workflow as a local activity (engine/contracts/events.py says what an event holds);
the queue ignores an event id it already has for a subscription, so retries queue nothing twice.
When it queued something it nudges the worker's dispatcher, which then delivers at once instead of
at its next poll.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from temporalio import activity

from engine.contracts.activities import RECORD_EVENTS, ConversationEvents
from engine.contracts.events import EventBatch
from engine.db.event_deliveries import EventDeliveries


class ConversationEventActivities(ConversationEvents):
    def __init__(self, queue: EventDeliveries, queued: Callable[[], None] = lambda: None) -> None:
        self._queue = queue
        self._queued = queued

    @activity.defn(name=RECORD_EVENTS)
    async def record_events(self, batch: EventBatch) -> int:
        added = await self._queue.add(batch.events, datetime.now(UTC))
        if added:
            self._queued()
        return added
