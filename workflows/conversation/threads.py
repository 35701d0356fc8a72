"""Threads: a customer who writes after a close begins a new thread of the same conversation.

A closed conversation's workflow does not end; it waits (no timers, a row of state) for the next
customer message. That message begins thread N+1 in the same workflow, so the event sequence, the
remembered message ids and the decision trail go on: outbound keys never repeat, a re-delivered
message of thread N is a duplicate, and one workflow id is one conversation for its whole life.
The new thread is what a follow-up ticket is elsewhere: fresh status, SLA clocks, routing and
survey, the rule pack active now, the customer looked up again; the closed thread is summarised.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from engine.contracts.activities import RuleDecisions
    from engine.contracts.conversation import ConversationState
    from workflows.conversation.options import LOCAL
    from workflows.conversation.timers import Timers


# Summaries carried over continue-as-new; the oldest beyond this are in the histories of their runs.
MAX_THREAD_SUMMARIES = 200
# The next thread keeps the subscription events the database has not taken yet (records.py `_send_events`)
# and their retry clock; before it, they were dropped. Asked only when there are such events, so runs
# recorded before it (a new thread with none, the usual case) replay without a marker; a run that
# replays a drop keeps dropping for the rest of that run, as it did.
CARRY_UNSENT_EVENTS_PATCH = "thread-keeps-unsent-events"


class Threads(Timers):
    """Closing a thread and beginning the next one."""

    async def _begin_thread(self) -> None:
        """Summarise the closed thread and start the next with fresh per-thread state."""
        s = self._state
        now = workflow.now()
        summary = s.current_thread(ended=True)
        # What the facts of its background items that end after it are grouped by (records.py).
        self._closed_views[s.thread] = self._kpi_view()
        active = await workflow.execute_local_activity_method(
            RuleDecisions.active_rule_pack, s.tenant, **LOCAL
        )
        self._state = ConversationState(
            conversation_id=s.conversation_id,
            tenant=s.tenant,
            external_id=s.external_id,
            channel=s.channel,
            customer=s.customer,
            created_at=now,
            updated_at=now,
            event_seq=s.event_seq,
            runs=s.runs,
            run_started_seq=s.run_started_seq,
            max_events_per_run=s.max_events_per_run,
            pack_hash=active or s.pack_hash,
            follows_run_id=s.follows_run_id,
            life_id=s.life_id,
            thread=s.thread + 1,
            thread_run_id=workflow.info().run_id,
            thread_first_seq=self._reserved if self._reserved is not None else s.event_seq + 1,
            threads=[*s.threads, summary][-MAX_THREAD_SUMMARIES:],
            decisions=s.decisions,
            inbox=s.inbox,
            sends_waiting=s.sends_waiting,  # background items go on across threads (delivery.py)
            crm_writes_waiting=s.crm_writes_waiting,
        )
        if s.unsent_events and self._patched(CARRY_UNSENT_EVENTS_PATCH):
            self._state.unsent_events = s.unsent_events
            self._state.events_failures = s.events_failures
            self._state.events_retry_at = s.events_retry_at
        if self._state.pack_hash != s.pack_hash:
            self._pack = None
            await self._ensure_pack()
