"""The state every part of the conversation workflow shares, and its bookkeeping.

The workflow is built in layers, each a class in its own module that extends the one below:
core -> records (KPI facts, events) -> sla (clocks) -> delivery -> assigning -> status -> actions
-> deciding -> timers -> threads -> inbox (messages recorded, then handled) -> manual_assignment (a
person's assignment through the API) -> replies (an agent's reply and how its send went) -> workflow
(handlers).
A layer calls only what is below it, so each concept reads on its own and mypy checks every call.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from engine.contracts.activities import RuleDecisions
    from engine.contracts.conversation import (
        ConversationStart,
        ConversationState,
        DecisionEntry,
        DeliveryState,
        EventReceipt,
        Status,
    )
    from engine.rules.pack import RulePack, SlaPolicy
    from workflows.conversation import search_attributes as sa
    from workflows.conversation.options import LOCAL
    from workflows.conversation.patches import (
        ATTRIBUTES_ONCE_PATCH,
        BUNDLES,
        DECIDE_FILLED_PATCH,
        LOCAL_IO_PATCH,
        QUIET_ATTRIBUTES_PATCH,
        THREADS_PATCH,
        TRIAGE_PATCH,
        WORKFLOW_PACK_PATCH,
        first_bundle,
    )
    from workflows.conversation.shared_packs import shared_pack

MAX_RECORDED_DECISIONS = 500
# An entry handled this long after its instant says when (`handled_at`): a timer late by a task's
# few milliseconds says nothing, one due before a back-dated conversation existed does.
HANDLED_LATE = timedelta(minutes=1)
# A decision records every rule of its event with what each read (strings cut at 200 characters): a
# few KB on the default pack, 14-40 KB on bench/realistic_pack.py's 200 rules, ~100 KB on 400 rules
# that read the message. Continue-as-new carries the trail, and Temporal refuses a payload over 2 MB
# (the run's task then fails at every attempt: the conversation stops). A run continues as new once
# the entries it flushed take RUN_TRAIL_BYTES, and carries the newest that fit CARRIED_TRAIL_BYTES;
# every run's query still answers its own entries (`audit export` and `kpi rebuild` ask every run).
# A run's state then holds at most ~1 MB of trail plus one handler's decisions (on the default pack a
# run still continues by its event count first); with the seen ids (up to ~0.5 MB) that is under 2 MB
# unless one handler's decisions pass ~0.4 MB: a record is at most 256 KiB (engine/rules/decision.py
# MAX_RECORD_BYTES), so only when its rules raise events whose decisions are as large.
RUN_TRAIL_BYTES = 768 * 1024
CARRIED_TRAIL_BYTES = 256 * 1024
TERMINAL = (Status.CLOSED,)
# Channel message ids (and agent reply ids) remembered to drop re-deliveries, newest kept. Channels
# re-deliver within days (SMTP gives up after ~5, webhook gateways after hours to 7): a message would
# need 2,000 newer ones in its conversation before its re-delivery to be forgotten. Worst case ~0.5 MB
# of ids (256 bytes each) carried over a continue-as-new, under Temporal's 2 MB payload limit.
MAX_SEEN_MESSAGE_IDS = 2_000


class ConversationCore:
    """State, the pinned pack, the event counter, the decision trail and search attributes."""

    def __init__(self, start: ConversationStart) -> None:
        if start.carried is not None:
            self._state = start.carried
            self._state.runs += 1
            self._state.run_started_seq = self._state.event_seq
        else:
            now = workflow.now()
            self._state = ConversationState(
                conversation_id=workflow.info().workflow_id,
                tenant=start.tenant,
                external_id=start.external_id,
                channel=start.channel,
                customer=start.customer,
                created_at=now,
                updated_at=now,
                pack_hash=start.pack_hash,
                follows_run_id=start.follows_run_id,
                max_events_per_run=start.max_events_per_run,
            )
        # Insertion-ordered, so the oldest ids are the ones forgotten past MAX_SEEN_MESSAGE_IDS.
        self._seen: dict[str, None] = dict.fromkeys(self._state.seen_message_ids)
        self._reply_digests: dict[str, str] = dict(self._state.reply_digests)
        self._lock = asyncio.Lock()
        self._pack: RulePack | None = None
        self._wake = False
        self._bundle: int | None = None  # the index in BUNDLES of the run's bundle; len(BUNDLES): none
        self._threads_on: bool | None = None
        self._retired = False  # the retention sweep asked the closed conversation to end (workflow.py)
        self._local_io_on: bool | None = None
        self._filled_only_on: bool | None = None
        self._kpi_on: bool | None = None
        self._kpi_pending: list[DecisionEntry] = []
        # The KPI view of each thread that closed in this run, as it closed (threads.py), and the seqs
        # of entries put on such a thread after it closed (replies.py `_record_ended`): their facts
        # are grouped by that view (records.py). A run's background items end in that run.
        self._closed_views: dict[int, dict[str, Any]] = {}
        self._late: set[int] = set()
        self._events_on: bool | None = None
        self._one_call_on: bool | None = None
        self._triage_on: bool | None = None
        self._replying_agent: str | None = None  # the agent of the reply being handled, for its KPI fact
        self._on_record_on: bool | None = None  # inbox.py: messages answered when recorded
        self._answered_in: int | None = None  # the history length of the task that last answered early
        self._reserved: int | None = None  # the seq of the recorded message being handled, not yet used
        # When the channel received the customer message being handled: the SLA clocks its handling
        # starts count from it (sla.py `_start_clocks`); None outside a message's handling.
        self._message_at: datetime | None = None
        self._message_in_hand: str | None = None  # the id of the message being handled (inbox.py)
        # The message whose handling applied the SLA policy from its received time (sla.py `_apply_sla`).
        self._sla_counted_for: str | None = None
        self._attributes_once_on: bool | None = None
        self._trail_bytes_on: bool | None = None
        self._run_trail_bytes = 0  # what the entries this run flushed take encoded (TRAIL_BYTES_PATCH)
        self._attributes_stale = False  # changed since the last upsert (ATTRIBUTES_ONCE_PATCH's runs)
        self._published: dict[str, Any] = {}  # the attribute values this run upserted, by name
        self._quiet_on: bool | None = None  # QUIET_ATTRIBUTES_PATCH, asked at the first upsert of nothing new
        self._replies_pending: set[str] = set()  # the message ids of agent replies being handled (replies.py)
        self._waiting = False  # the main loop waits for an event or a timer (set by the workflow)
        self._answers_going_out = False  # the main loop sleeps the early answer's timer (inbox.py)

    def _patched(self, patch: str) -> bool:
        """`workflow.patched(patch)`, true without a marker of its own in runs that began with a
        bundle standing for it (BUNDLES; the newest asked first, at the run's first patch question, so
        each run asks them at the same point when it replays)."""
        if self._bundle is None:
            self._bundle = next((i for i, b in enumerate(BUNDLES) if workflow.patched(b)), len(BUNDLES))
        return self._bundle <= BUNDLES.index(first_bundle(patch)) or workflow.patched(patch)

    def _threads(self) -> bool:
        """Whether this run lives on after a close (new threads) with life-unique keys.

        Asked first thing in `run`, so a conversation that started before the change keeps the old
        behaviour for the rest of its run when it replays; the next run (continue-as-new) has it.
        """
        if self._threads_on is None:
            self._threads_on = self._patched(THREADS_PATCH)
            if self._threads_on and self._state.life_id is None:
                self._state.life_id = workflow.info().first_execution_run_id
                self._state.thread_run_id = self._state.thread_run_id or workflow.info().run_id
        return self._threads_on

    def _local_io(self) -> bool:
        """Whether this run has issue 15's commands: local I/O, timers re-armed to fire on time."""
        if self._local_io_on is None:
            self._local_io_on = self._patched(LOCAL_IO_PATCH)
        return self._local_io_on

    def _filled_only(self) -> bool:
        """Whether `decide` answers with only the context parts it filled in (asked at the first decision)."""
        if self._filled_only_on is None:
            self._filled_only_on = self._patched(DECIDE_FILLED_PATCH)
        return self._filled_only_on

    def _triage(self) -> bool:
        """Whether `decide` classifies customer messages in this run (asked at the first one)."""
        if self._triage_on is None:
            self._triage_on = self._patched(TRIAGE_PATCH)
        return self._triage_on

    def _closed_for_good(self) -> bool:
        """A closed conversation's run ends only in the old behaviour, or once retired; otherwise it
        waits for a new thread."""
        return self._state.status in TERMINAL and (self._threads_on is False or self._retired)

    def _seen_before(self, message_id: str) -> bool:
        """True for a repeat, else remember the id (before any await: a concurrent twin is a repeat)."""
        if message_id in self._seen:
            return True
        self._seen[message_id] = None
        if self._threads_on:
            while len(self._seen) > MAX_SEEN_MESSAGE_IDS:
                del self._seen[next(iter(self._seen))]
        return False

    def _key(self, key: str) -> str:
        """The idempotency key of an outbound effect: unique for the conversation's whole life.

        `key` names the event and the action (`{seq}:{index}`); the event seq never repeats within a
        life (carried over continue-as-new and into new threads), and the life id tells a conversation
        apart from an earlier one under the same id that completed before threads existed.
        """
        s = self._state
        if self._threads() and s.life_id:
            return f"{s.conversation_id}:{s.life_id}:{key}"
        return f"{s.conversation_id}:{key}"

    async def _ensure_pack(self) -> None:
        """Load the pinned pack once per run: it enters history, so replay never reads the store."""
        if self._pack is None and self._state.pack_hash:
            digest = self._state.pack_hash
            part = self._patched(WORKFLOW_PACK_PATCH)
            load = RuleDecisions.load_workflow_pack if part else RuleDecisions.load_rule_pack
            raw = await workflow.execute_local_activity_method(load, digest, **LOCAL)
            self._pack = shared_pack(f"{digest}:workflow" if part else digest, raw)

    @property
    def pack(self) -> RulePack:
        """The pinned pack, for code that only runs once a decision was made with it."""
        if self._pack is None:
            # A bug, not a business outcome: fail the workflow task (retried after a fix is deployed),
            # never the conversation itself.
            raise RuntimeError("no rule pack is pinned")
        return self._pack

    def _policy(self) -> SlaPolicy | None:
        if self._pack is None or self._state.sla.policy is None:
            return None
        return self._pack.sla_policies.get(self._state.sla.policy)

    def _calendar_name(self) -> str | None:
        """The calendar whose business hours the rules see (RulePack.business_hours_calendar says which)."""
        if self._pack is None:
            return None
        return self._pack.business_hours_calendar(self._state.team, self._state.sla.calendar)

    def _kpi_calendar(self) -> str | None:
        """The calendar KPIs are measured on: the SLA policy's, else what `business_hours` reads."""
        if self._pack is None:
            return None
        return self._state.sla.calendar or self._pack.business_hours_calendar(self._state.team, None)

    def _run_is_full(self) -> bool:
        """Time to continue as new: the server says so, or this run has handled its share of events."""
        s = self._state
        return (
            workflow.info().is_continue_as_new_suggested()
            or s.event_seq - s.run_started_seq >= s.max_events_per_run
            or self._run_trail_bytes >= RUN_TRAIL_BYTES
        )

    def _next_event(self) -> int:
        """The next event's seq: the one a recorded message reserved (its first entry), else a new one."""
        if self._reserved is not None:
            seq, self._reserved = self._reserved, None
        else:
            self._state.event_seq += 1
            seq = self._state.event_seq
        self._state.updated_at = workflow.now()
        return seq

    def _record(self, entry: DecisionEntry, *, thread: int | None = None) -> None:
        """Put an entry on the trail, of the thread under way unless `thread` names an earlier one."""
        entry.thread = self._state.thread if thread is None else thread
        if workflow.now() - entry.at > HANDLED_LATE:  # its effects went out now: said, for the auditor
            entry.handled_at = workflow.now()
        self._kpi_pending.append(entry)
        self._state.decisions.append(entry)
        del self._state.decisions[:-MAX_RECORDED_DECISIONS]

    def _changed(self) -> None:
        self._wake = True
        self._upsert_search_attributes()

    def _receipt(
        self,
        seq: int,
        *,
        duplicate: bool = False,
        created: bool = False,
        delivery: DeliveryState | None = None,
        assignment: bool = False,
    ) -> EventReceipt:
        """`assignment`: the answer to a person's assignment says where the conversation is now (an
        integrator sending it to a team could not tell an agent's from the queue's)."""
        s = self._state
        queued = assignment and s.assignment is not None and s.assignment.queued and s.assignee is None
        return EventReceipt(
            conversation_id=s.conversation_id,
            seq=seq,
            duplicate=duplicate,
            created=created,
            status=s.status,
            thread=self._thread_of(seq),
            delivery=delivery,
            assignee=s.assignee if assignment else None,
            queued=queued if assignment else None,
        )

    def _thread_of(self, seq: int) -> int:
        """The thread an event's seq was taken in: a repeat of a closed thread's message names that
        thread, one of a queued message the thread it begins. Older than the summaries kept: 1."""
        s = self._state
        queued = next((recorded.thread for recorded in s.inbox if recorded.seq == seq), None)
        if queued is not None:
            return queued
        if seq >= s.thread_first_seq:
            return s.thread
        return next((t.thread for t in reversed(s.threads) if t.first_seq <= seq), 1)

    def _reject_when_closed(self) -> None:
        """A closed conversation takes no more events, unless a recorded message begins its next thread
        (an out-of-office or a survey's rating queued keeps it closed: inbox.py `_keeps_the_thread`)."""
        beginning = any(recorded.keeps is None for recorded in self._state.inbox)
        if self._state.status is Status.CLOSED and not beginning:
            raise ApplicationError("conversation is closed", type="ConversationClosed")

    def _upsert_search_attributes(self) -> None:
        """Publish a change of the search attributes: at once in runs that began before
        ATTRIBUTES_ONCE_PATCH, else when the main loop waits again (`_attributes_publisher`)."""
        if self._attributes_once_on is None:
            self._attributes_once_on = self._patched(ATTRIBUTES_ONCE_PATCH)
        self._attributes_stale = True
        if not self._attributes_once_on:
            self._publish_attributes()

    def _publish_attributes(self) -> None:
        """Upsert the attributes if they changed since the last upsert (also before the run ends); with
        QUIET_ATTRIBUTES_PATCH, nothing when none a list shows did (a next message within the minute)."""
        if self._attributes_stale:
            self._attributes_stale = False
            updates = sa.updates_for(self._state)
            fresh = sa.changed_since(updates, self._published)
            if fresh or not self._quiet_attributes():
                workflow.upsert_search_attributes(fresh or updates[:1])

    def _quiet_attributes(self) -> bool:
        if self._quiet_on is None:
            self._quiet_on = self._patched(QUIET_ATTRIBUTES_PATCH)
        return self._quiet_on

    async def _attributes_publisher(self) -> None:
        """Runs beside the main loop: upserts once no handler holds the lock and the loop waits
        with nothing to wake it (or sleeps the early answer's timer), i.e. when the task's work is
        done and it is about to complete. Conditions are checked at the end of each activation, so
        the upsert is that activation's last command. A holder of the lock that awaits a normal
        activity (the task completes meanwhile) publishes first (`_publish_attributes`).
        """
        while True:
            await workflow.wait_condition(self._attributes_settled)
            self._publish_attributes()

    def _attributes_settled(self) -> bool:
        if not self._attributes_stale or self._lock.locked():
            return False
        return self._answers_going_out or (self._waiting and not self._wake)
