"""What the handled events leave for the outside world: KPI facts and subscription events.

A handler's decision entries wait in `_kpi_pending` (core.py `_record`) until the handler is done;
then one flush turns them into the KPI projection's facts and the subscriptions' events and writes
them in local activities, so the outside sees the conversation as the handler left it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from engine.contracts.activities import ConversationEvents, HandledRecordWrites, KpiFacts
    from engine.contracts.events import ConversationEvent, EventBatch, events_of
    from engine.contracts.kpi import KpiFact, KpiFactBatch
    from engine.contracts.records import HandledRecords
    from engine.kpis.facts import facts_of, state_view
    from workflows.conversation.core import ConversationCore
    from workflows.conversation.failures import ACTIVITY_FAILURES, ActivityFailure, error_type
    from workflows.conversation.options import LOCAL_EVENTS, LOCAL_KPI, LOCAL_RECORDS
    from workflows.conversation.patches import EVENTS_PATCH, KPI_PATCH, RECORDS_PATCH, TRAIL_BYTES_PATCH

# Events the database did not take (it was down) wait in state, oldest first, and are sent again at
# the next flush or after a pause that doubles per failure up to EVENTS_RETRY_MAX. The bound keeps the
# carried state far under Temporal's 2 MB payload limit (an event is ~300 bytes); past it the oldest
# are dropped and the drop logged: a conversation would need 2,000 events during one outage.
MAX_UNSENT_EVENTS = 2_000
EVENTS_RETRY_FIRST = timedelta(seconds=5)
EVENTS_RETRY_MAX = timedelta(minutes=5)


class Records(ConversationCore):
    """The flush of each handler's KPI facts and subscription events."""

    async def _flush_records(self) -> None:
        """(Each handler ends here; assigning.py extends it to tell the desk a moved deadline first.)

        Send the KPI facts and the subscription events of the entries recorded since the last
        flush: in one local activity per handler (a run whose first flush came before RECORDS_PATCH:
        one each, the events' only when there are some).

        Each entry's view is completed with the conversation as the handler left it (team and SLA set
        by its actions), so the trail holds what `convoflow kpi rebuild` needs to write the same facts;
        an item that ended in the background after its thread closed gets that thread's view as it
        closed (threads.py), so its facts do not regroup the closed thread under the next one's pack,
        calendar or team (`engine/kpis/threads.py` reads those from a thread's last fact).
        """
        pending, self._kpi_pending = self._kpi_pending, []
        s = self._state
        facts: list[KpiFact] = []
        events: list[ConversationEvent] = []
        if pending:
            snapshot = self._kpi_view()
            for entry in pending:
                view = self._closed_views.get(entry.thread, snapshot) if entry.seq in self._late else snapshot
                self._late.discard(entry.seq)
                entry.kpi = {**view, **(entry.kpi or {})}
                facts += facts_of(entry, tenant=s.tenant, conversation_id=s.external_id)
                events += events_of(
                    entry, tenant=s.tenant, conversation_id=s.external_id, event_id=self._key(str(entry.seq))
                )
                entry.compact()  # done changing: the trail keeps its records encoded (worker memory)
            if self._trail_bytes_on is None:
                self._trail_bytes_on = self._patched(TRAIL_BYTES_PATCH)
            if self._trail_bytes_on:
                self._run_trail_bytes += sum(entry.encoded_size() for entry in pending)
        if self._one_call_on is None and (facts or events or s.unsent_events):
            self._one_call_on = self._patched(RECORDS_PATCH)
        if self._one_call_on:
            await self._send_records(facts, events)
            return
        await self._send_facts(facts)
        await self._send_events(events)

    def _kpi_view(self) -> dict[str, Any]:
        """What the facts of the thread under way are grouped by now (engine/kpis/facts.py)."""
        return state_view(self._state, self._kpi_calendar())

    async def _send_records(self, facts: list[KpiFact], events: list[ConversationEvent]) -> None:
        """The events (after any still unsent) and the facts in one local activity, each with the fate
        it had in its own: events the database did not take are kept to send again, facts it did not
        take are left to `convoflow kpi rebuild` (engine/contracts/records.py)."""
        batch = [*self._state.unsent_events, *events]
        if not facts and not batch:
            return
        try:
            counts = await workflow.execute_local_activity_method(
                HandledRecordWrites.record_handled, HandledRecords(facts=facts, events=batch), **LOCAL_RECORDS
            )
        except ACTIVITY_FAILURES as exc:  # the events failed, before the facts were tried
            if facts:
                self._facts_not_written(error_type(exc))
            if batch:
                self._keep_unsent(batch, exc)
            return
        if counts.facts_error is not None:
            self._facts_not_written(counts.facts_error)
        self._events_sent()

    async def _send_facts(self, facts: list[KpiFact]) -> None:
        if not facts:
            return
        if self._kpi_on is None:
            self._kpi_on = self._patched(KPI_PATCH)
        if not self._kpi_on:
            return
        try:
            await workflow.execute_local_activity_method(
                KpiFacts.record_kpi_facts, KpiFactBatch(facts=facts), **LOCAL_KPI
            )
        except ACTIVITY_FAILURES as exc:
            self._facts_not_written(error_type(exc))

    def _facts_not_written(self, error: str) -> None:
        # Never the conversation's content in a log: the run id and the failure's type only.
        workflow.logger.warning(
            "KPI facts not written: run %s (%s); `convoflow kpi rebuild` restores them",
            workflow.info().run_id,
            error,
        )

    async def _send_events(self, events: list[ConversationEvent]) -> None:
        """Hand the events (after any still unsent, in order) to the subscriptions' queue.

        At-least-once: a failure keeps them in state to send again (the queue ignores an event id it
        has), and the conversation goes on meanwhile; they are never dropped silently.
        """
        s = self._state
        if not events and not s.unsent_events:
            return
        if self._events_on is None:
            self._events_on = self._patched(EVENTS_PATCH)
        if not self._events_on:
            return
        batch = [*s.unsent_events, *events]
        try:
            await workflow.execute_local_activity_method(
                ConversationEvents.record_events, EventBatch(events=batch), **LOCAL_EVENTS
            )
        except ACTIVITY_FAILURES as exc:
            self._keep_unsent(batch, exc)
            return
        self._events_sent()

    def _events_sent(self) -> None:
        s = self._state
        s.unsent_events, s.events_retry_at, s.events_failures = [], None, 0

    def _keep_unsent(self, batch: list[ConversationEvent], exc: ActivityFailure) -> None:
        """Keep the events the database did not take, to send again after a pause that doubles."""
        s = self._state
        dropped = max(0, len(batch) - MAX_UNSENT_EVENTS)
        s.unsent_events = batch[dropped:]
        pause = min(EVENTS_RETRY_FIRST * 2**s.events_failures, EVENTS_RETRY_MAX)
        s.events_failures += 1
        s.events_retry_at = workflow.now() + pause
        workflow.logger.warning(
            "subscription events not queued: run %s (%s); %d kept to send again in %ds, %d dropped",
            workflow.info().run_id,
            error_type(exc),
            len(s.unsent_events),
            int(pause.total_seconds()),
            dropped,
        )
