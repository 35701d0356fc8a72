"""A handled event's records in one local activity: its subscription events, then its KPI facts.

The two writers stay what they are (activities/kpi_facts.py, activities/conversation_events.py, still
registered for the runs that call them one by one); this writes both, so a flush costs the workflow
one command instead of two (engine/contracts/records.py says why).

Concurrent conversations' records are group-committed (engine/db/group_commit.py), events and facts
in one transaction. When that transaction fails, each conversation's records are written as before:
the events in a transaction of their own (their failure fails the activity, so the workflow keeps
them to send again), then the facts (their failure is answered, not raised: the events just queued
are not retried for it, and `convoflow kpi rebuild` restores the facts).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity

from activities.conversation_events import ConversationEventActivities
from activities.kpi_facts import KpiFactActivities
from engine.contracts.activities import RECORD_HANDLED, HandledRecordWrites
from engine.contracts.events import EventBatch
from engine.contracts.kpi import KpiFactBatch
from engine.contracts.records import HandledRecords, RecordedCounts
from engine.db.event_deliveries import queue_events
from engine.db.group_commit import GroupCommit
from engine.db.kpi_facts import insert_facts


class HandledRecordActivities(HandledRecordWrites):
    def __init__(
        self, facts: KpiFactActivities, events: ConversationEventActivities, database: AsyncEngine
    ) -> None:
        self._facts = facts
        self._events = events
        self._database = database
        self._writes = GroupCommit(self._record_together, self._record_apart)

    @activity.defn(name=RECORD_HANDLED)
    async def record_handled(self, records: HandledRecords) -> RecordedCounts:
        return await self._writes.write(records)

    async def _record_together(self, batch: Sequence[HandledRecords]) -> list[RecordedCounts]:
        """Every caller's events and facts in one transaction."""
        async with self._database.begin() as connection:
            deliveries = await queue_events(connection, [r.events for r in batch], datetime.now(UTC))
            facts = await insert_facts(connection, [r.facts for r in batch])
        self._events.announce(sum(deliveries))
        return [RecordedCounts(facts=f, deliveries=d) for f, d in zip(facts, deliveries, strict=True)]

    async def _record_apart(self, records: HandledRecords) -> RecordedCounts:
        """One caller's events, then its facts, each on its own (after a failed gathered write)."""
        deliveries = 0
        if records.events:
            deliveries = await self._events.record_events(EventBatch(events=records.events))
        if not records.facts:
            return RecordedCounts(facts=0, deliveries=deliveries)
        try:
            facts = await self._facts.record_kpi_facts(KpiFactBatch(facts=records.facts))
        except Exception as exc:  # answered, so the events just queued are not retried for it
            return RecordedCounts(facts=0, deliveries=deliveries, facts_error=type(exc).__name__)
        return RecordedCounts(facts=facts, deliveries=deliveries)
