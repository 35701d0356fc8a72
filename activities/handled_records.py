"""A handled event's records in one local activity: its subscription events, then its KPI facts.

The two writers stay what they are (activities/kpi_facts.py, activities/conversation_events.py, still
registered for the runs that call them one by one); this calls both, so a flush costs the workflow
one command instead of two (engine/contracts/records.py says why).
"""

from __future__ import annotations

from temporalio import activity

from activities.conversation_events import ConversationEventActivities
from activities.kpi_facts import KpiFactActivities
from engine.contracts.activities import RECORD_HANDLED, HandledRecordWrites
from engine.contracts.events import EventBatch
from engine.contracts.kpi import KpiFactBatch
from engine.contracts.records import HandledRecords, RecordedCounts


class HandledRecordActivities(HandledRecordWrites):
    def __init__(self, facts: KpiFactActivities, events: ConversationEventActivities) -> None:
        self._facts = facts
        self._events = events

    @activity.defn(name=RECORD_HANDLED)
    async def record_handled(self, records: HandledRecords) -> RecordedCounts:
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
