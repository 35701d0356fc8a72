"""ConversationWorkflow: one durable workflow per customer conversation, every branch decided by rules.

Integrators send events as updates, so a caller learns synchronously whether its message was new or
a duplicate. Events are handled one at a time under a lock, in history order. For each event the
workflow builds the rule context, asks the pinned rule pack for a decision (a local activity: the
decision is recorded in history, so replay never re-evaluates), and executes the actions in order.
Every outbound effect is an activity whose idempotency key is `{workflow id}:{life id}:{event seq}:{action}`:
unique for the conversation's whole life, which goes on after a close (threads.py).

This module holds the handlers and the main loop; each concept they use is a layer below it
(core.py explains the layering): threads.py, timers.py, deciding.py, actions.py, status.py,
assigning.py, delivery.py, sla.py.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from engine.contracts.assignment import DESK_ASSIGNED, DESK_UNASSIGNED, AssignmentOutcome, Unassignment
    from engine.contracts.conversation import (
        AUTOMATED_SENDER_PATTERN,
        AgentReply,
        Assignment,
        AssignmentRelease,
        BounceReport,
        ConversationStart,
        ConversationState,
        DecisionEntry,
        EventReceipt,
        InboundMessage,
        StatusChange,
        SurveyAnswer,
    )
    from workflows.conversation.core import TERMINAL
    from workflows.conversation.status import Raised
    from workflows.conversation.threads import Threads

AUTOMATED_SENDER = re.compile(AUTOMATED_SENDER_PATTERN, re.IGNORECASE)
# A channel's receive time is believed within these bounds of the workflow's clock.
MAX_MESSAGE_AGE = timedelta(days=366)
MAX_CLOCK_SKEW = timedelta(days=1)
# Patch: the creation decision records the message's threading note (conversations created before
# it have none to record; the patch keeps their histories replaying as they were).
THREADING_NOTE = "threading-note"


@workflow.defn
class ConversationWorkflow(Threads):
    """One conversation, from its first message to closed (and on across continue-as-new)."""

    @workflow.init
    def __init__(self, start: ConversationStart) -> None:
        super().__init__(start)

    @workflow.run
    async def run(self, start: ConversationStart) -> ConversationState:
        self._threads()
        self._local_io()
        async with self._lock:
            await self._ensure_pack()
        exact = False  # the timer woke the loop before anything was due: sleep the rest exactly
        while not self._closed_for_good() and not self._run_is_full():
            self._wake = False
            try:
                await workflow.wait_condition(
                    lambda: self._wake or self._closed_for_good() or self._run_is_full(),
                    timeout=self._sleep_for(exact=exact),
                )
                exact = False
            except TimeoutError:
                exact = not self._is_due()
            async with self._lock:
                await self._fire_due_timers()
                await self._flush_records()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if not self._closed_for_good():
            self._state.seen_message_ids = list(self._seen) if self._threads() else sorted(self._seen)
            workflow.continue_as_new(
                ConversationStart(
                    tenant=self._state.tenant,
                    external_id=self._state.external_id,
                    channel=self._state.channel,
                    customer=self._state.customer,
                    pack_hash=self._state.pack_hash,
                    max_events_per_run=self._state.max_events_per_run,
                    carried=self._state,
                )
            )
        return self._state

    # -- events from integrators -------------------------------------------------------------------

    @workflow.update
    async def receive_message(self, message: InboundMessage) -> EventReceipt:
        if self._seen_before(message.message_id):
            return self._receipt(self._state.event_seq, duplicate=True)
        async with self._lock:
            await self._ensure_pack()
            if self._state.status in TERMINAL and self._threads():
                await self._begin_thread()
            s = self._state
            at = self._received_at(message)
            first = s.customer_messages == 0
            s.customer_messages += 1
            s.first_customer_message_at = s.first_customer_message_at or at
            waiting_since_reply = s.last_agent_reply_at is not None and (
                s.last_customer_message_at is None or s.last_customer_message_at <= s.last_agent_reply_at
            )
            s.last_customer_message_at = at
            s.language = s.language or message.language
            if AUTOMATED_SENDER.match(message.sender.address) or (message.auto_submitted and first):
                s.customer_is_automated = True
            if message.subject and s.subject is None:
                s.subject = message.subject
            s.thread_message_ids = [*s.thread_message_ids, message.message_id][-10:]
            if first:
                note = await self._enrich()
                # The API says why it did not thread the message under the conversation it named.
                if message.threading_note and workflow.patched(THREADING_NOTE):
                    note = "; ".join(n for n in (message.threading_note, note) if n)
                await self._process("conversation.created", message=message, note=note)
            else:
                await self._customer_came_back(message)
                if waiting_since_reply:
                    await self._start_next_response()
            seq = await self._process("message.received", message=message)
            await self._arm_unanswered()
            await self._flush_records()
            self._changed()
            return self._receipt(seq, created=first and s.thread == 1 and s.runs == 1)

    def _received_at(self, message: InboundMessage) -> datetime:
        """When the channel received the message; the workflow's clock when that is not believable.

        The API refuses such values (422); this guards what reaches the workflow by other paths, since
        a naive or far-off time would otherwise fail every SLA and business-time computation.
        """
        now = workflow.now()
        at = message.received_at
        if at is None:
            return now
        if self._threads() and (at.tzinfo is None or not now - MAX_MESSAGE_AGE <= at <= now + MAX_CLOCK_SKEW):
            return now
        return at

    @receive_message.validator
    def _validate_receive_message(self, message: InboundMessage) -> None:
        if self._closed_for_good():
            self._reject_when_closed()

    @workflow.update
    async def post_reply(self, reply: AgentReply) -> EventReceipt:
        if reply.message_id is not None and self._seen_before(reply.message_id):
            return self._receipt(self._state.event_seq, duplicate=True)
        async with self._lock:
            await self._ensure_pack()
            s = self._state
            now = workflow.now()
            seq = self._next_event()
            s.agent_messages += 1
            s.first_agent_reply_at = s.first_agent_reply_at or now
            s.last_agent_reply_at = now
            if s.assignment is not None:
                s.assignment.unanswered_at = None
            # `{seq}:0` is also the key of the first action decided on `message.sent` at this seq.
            key = f"{seq}:reply" if self._threads() else f"{seq}:0"
            failure = await self._deliver(key, kind="agent_reply", text=reply.text, to=s.customer.address)
            self._meet_sla("first_response", "next_response")
            self._replying_agent = reply.agent_id
            await self._process("message.sent", seq=seq, note=failure)
            self._replying_agent = None
            await self._flush_records()
            self._changed()
            return self._receipt(seq)

    @post_reply.validator
    def _validate_post_reply(self, reply: AgentReply) -> None:
        self._reject_when_closed()

    @workflow.update
    async def change_status(self, change: StatusChange) -> EventReceipt:
        async with self._lock:
            await self._ensure_pack()
            raised: Raised = []
            await self._set_status(change.status.value, raised)
            seq = await self._follow(raised) or self._state.event_seq
            await self._flush_records()
            self._changed()
            return self._receipt(seq)

    @change_status.validator
    def _validate_change_status(self, change: StatusChange) -> None:
        self._reject_when_closed()

    @workflow.update
    async def record_bounce(self, bounce: BounceReport) -> EventReceipt:
        """A delivery report of one of our emails (issue 20): `message.bounced` for the rules, on record.

        Not a customer message: no counters, SLA clocks or threads move, and nothing is acknowledged.
        """
        if self._seen_before(bounce.message_id):
            return self._receipt(self._state.event_seq, duplicate=True)
        async with self._lock:
            await self._ensure_pack()
            details = {
                "bounced_message_id": bounce.bounced_message_id,
                "bounce_action": bounce.action or None,
                "bounce_status": bounce.status or None,
            }
            seq = await self._process("message.bounced", extra={"event": details})
            await self._flush_records()
            self._changed()
            return self._receipt(seq)

    @record_bounce.validator
    def _validate_record_bounce(self, bounce: BounceReport) -> None:
        self._reject_when_closed()

    @workflow.update
    async def assign(self, assignment: Assignment) -> EventReceipt:
        async with self._lock:
            await self._ensure_pack()
            s = self._state
            if self._desk():
                return await self._assign_through_desk(assignment)
            if assignment.team:
                s.team = assignment.team
            if s.assignee == assignment.agent_id:
                return self._receipt(s.event_seq, duplicate=True)
            s.assignee = assignment.agent_id
            seq = await self._process("conversation.assigned")
            await self._flush_records()
            self._changed()
            return self._receipt(seq)

    async def _assign_through_desk(self, assignment: Assignment) -> EventReceipt:
        """A person assigned it: the desk checks the agent (presence, capacity, skills) and keeps the load."""
        s = self._state
        team = assignment.team or s.team
        if s.assignee == assignment.agent_id and team == s.team:
            return self._receipt(s.event_seq, duplicate=True)
        seq = self._next_event()
        outcome = await self._ask_desk(
            f"{seq}:assign",
            strategy="agent",
            agent=assignment.agent_id,
            team=team or "",
            skills=s.assignment.skills if s.assignment is not None else [],
            reason="assigned through the API",
        )
        if outcome.result != "assigned":
            self._record(
                DecisionEntry(
                    seq=seq,
                    event="assignment.refused",
                    at=workflow.now(),
                    note=outcome.decision.reason,
                    assignment={"assignment": outcome.decision.model_dump(mode="json")},
                )
            )
            raise ApplicationError(
                f"agent {assignment.agent_id} cannot take this conversation: {outcome.decision.reason}",
                type="AssignmentRefused",
            )
        s.team = team
        raised: Raised = []
        await self._take(outcome, raised)
        last = await self._follow(raised)
        await self._flush_records()
        self._changed()
        return self._receipt(last or seq)

    @workflow.update
    async def unassign(self, release: AssignmentRelease) -> EventReceipt:
        """A person took the agent off it: the desk frees the slot; the conversation waits unassigned."""
        async with self._lock:
            await self._ensure_pack()
            s = self._state
            if s.assignee is None and (s.assignment is None or not s.assignment.queued):
                return self._receipt(s.event_seq, duplicate=True)
            previous, s.assignee = s.assignee, None
            if s.assignment is not None:
                await self._release_to_desk("unassigned through the API")
            why = (
                f"{previous} unassigned through the API"
                if previous
                else "taken out of the queue through the API"
            )
            seq = await self._process("conversation.unassigned", note=why)
            await self._flush_records()
            self._changed()
            return self._receipt(seq)

    @unassign.validator
    def _validate_unassign(self, release: AssignmentRelease) -> None:
        self._reject_when_closed()

    # -- news from the tenant's assignment desk -----------------------------------------------------

    @workflow.signal(name=DESK_ASSIGNED)
    async def desk_assigned(self, outcome: AssignmentOutcome) -> None:
        """A queued request was served; an answer to an older request (asked again since) is stale."""
        async with self._lock:
            current = self._state.assignment
            if current is None or current.request_id != outcome.request_id or not current.queued:
                return
            raised: Raised = []
            await self._take(outcome, raised)
            await self._follow(raised)
            await self._flush_records()
            self._changed()

    @workflow.signal(name=DESK_UNASSIGNED)
    async def desk_unassigned(self, lost: Unassignment) -> None:
        """The agent went away past the grace period or was removed: back in the queue, unassigned."""
        async with self._lock:
            s = self._state
            if s.assignee != lost.agent or s.assignment is None:
                return
            s.assignee = None
            s.assignment.queued, s.assignment.assigned_at, s.assignment.unanswered_at = (
                lost.requeued,
                None,
                None,
            )
            await self._process("conversation.unassigned", note=lost.reason)
            await self._flush_records()
            self._changed()

    @assign.validator
    def _validate_assign(self, assignment: Assignment) -> None:
        self._reject_when_closed()

    @workflow.update
    async def complete_survey(self, answer: SurveyAnswer) -> EventReceipt:
        async with self._lock:
            await self._ensure_pack()
            survey = self._state.survey
            survey.status, survey.rating = "completed", answer.rating
            seq = await self._process(
                "survey.completed", extra={"survey": {"rating": answer.rating, "comment": answer.comment}}
            )
            await self._flush_records()
            self._changed()
            return self._receipt(seq)

    @complete_survey.validator
    def _validate_complete_survey(self, answer: SurveyAnswer) -> None:
        if self._state.survey.status != "sent":
            raise ApplicationError(
                f"no survey is waiting for an answer (survey {self._state.survey.status})", type="NoSurvey"
            )

    @workflow.query
    def state(self) -> ConversationState:
        return self._state

    @workflow.query
    def decisions(self) -> list[DecisionEntry]:
        return self._state.decisions
