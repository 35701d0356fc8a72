"""ConversationWorkflow: one durable workflow per customer conversation, every branch decided by rules.

Integrators send events as updates, so a caller learns synchronously whether its message was new or
a duplicate; a customer message is answered once recorded and handled by the main loop right after
(inbox.py). Events are handled one at a time under a lock, in seq order. For each event the
workflow builds the rule context, asks the pinned rule pack for a decision (a local activity: the
decision is recorded in history, so replay never re-evaluates), and executes the actions in order.
Every outbound effect is an activity whose idempotency key is `{workflow id}:{life id}:{event seq}:{action}`:
unique for the conversation's whole life, which goes on after a close (threads.py).

This module holds the handlers and the main loop; each concept they use is a layer below it
(core.py explains the layering): replies.py, inbox.py, threads.py, timers.py, deciding.py,
actions.py, status.py, assigning.py, delivery.py, sla.py.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from engine.contracts.assignment import DESK_ASSIGNED, DESK_UNASSIGNED, AssignmentOutcome, Unassignment
    from engine.contracts.conversation import (
        BounceReport,
        ConversationStart,
        ConversationState,
        DecisionEntry,
        EventReceipt,
        InboundMessage,
        Status,
    )
    from engine.contracts.helpdesk_actions import (
        AgentReply,
        Assignment,
        AssignmentRelease,
        StatusChange,
        SurveyAnswer,
    )
    from engine.contracts.retirement import RETIRE_UPDATE, Retirement
    from engine.contracts.trail import newest_within
    from workflows.conversation.core import CARRIED_TRAIL_BYTES, TERMINAL
    from workflows.conversation.patches_late import BOUNCE_AFTER_CLOSE_PATCH, SURVEY_ANSWERED_ONCE_PATCH
    from workflows.conversation.replies import Replies
    from workflows.conversation.status import Raised


@workflow.defn
class ConversationWorkflow(Replies):
    """One conversation, from its first message to closed (and on across continue-as-new)."""

    @workflow.init
    def __init__(self, start: ConversationStart) -> None:
        super().__init__(start)

    @workflow.run
    async def run(self, start: ConversationStart) -> ConversationState:
        self._threads()
        self._local_io()
        if not self._on_record():
            async with self._lock:
                await self._ensure_pack()
        publisher = asyncio.create_task(self._attributes_publisher())
        exact = False  # the timer woke the loop before anything was due: sleep the rest exactly
        while True:  # the main loop, then the last handlers; again while background items wait
            # A full run goes on while a send or CRM write waits in the background (delivery.py): timers fire.
            while not self._closed_for_good() and (
                not self._run_is_full() or self._state.inbox or self._in_background()
            ):
                self._wake = False
                self._waiting = True
                try:
                    await workflow.wait_condition(
                        lambda: (
                            self._wake
                            or bool(self._state.inbox)
                            or bool(self._ended)
                            or self._closed_for_good()
                            or (self._run_is_full() and not self._in_background())
                        ),
                        timeout=self._sleep_for(exact=exact),
                    )
                    exact = False
                except TimeoutError:
                    exact = not self._is_due()
                self._waiting = False
                if publisher.done():  # it failed: fail the task with its error, as an upsert in a handler did
                    publisher.result()
                await self._let_answers_out()
                async with self._lock:
                    await self._handle_inbox()
                    await self._record_ended()
                    if self._on_record():  # the pack is loaded on demand: a carried run may wake for a timer
                        await self._ensure_pack()
                    await self._fire_due_timers()
                    await self._flush_records()
            # Messages recorded while the last handlers finish are handled before continuing as new (a
            # `receive_message_decided` answer waits on it); the queue would be carried in the state anyway.
            while not await self._all_handled():
                await self._let_answers_out()
                async with self._lock:
                    await self._handle_inbox()
                    await self._record_ended()
                    await self._flush_records()
            if not (self._in_background() and self._loop_waits()):
                break  # runs of bundles g and h waited for their background items in `_all_handled`
        publisher.cancel()
        self._publish_attributes()
        if not self._closed_for_good():
            self._state.seen_message_ids = list(self._seen) if self._threads() else sorted(self._seen)
            self._state.reply_digests = {m: d for m, d in self._reply_digests.items() if m in self._seen}
            # The next run's trail: the newest entries that fit (core.py CARRIED_TRAIL_BYTES). This run
            # keeps its own for queries. Replay compares no command's input, so old runs carry it too.
            trail = newest_within(self._state.decisions, CARRIED_TRAIL_BYTES)
            workflow.continue_as_new(
                ConversationStart(
                    tenant=self._state.tenant,
                    external_id=self._state.external_id,
                    channel=self._state.channel,
                    customer=self._state.customer,
                    pack_hash=self._state.pack_hash,
                    max_events_per_run=self._state.max_events_per_run,
                    carried=self._state.model_copy(update={"decisions": trail}),
                )
            )
        return self._state

    # -- events from integrators -------------------------------------------------------------------

    @workflow.update
    async def receive_message(self, message: InboundMessage) -> EventReceipt:
        """A customer message: answered when recorded (inbox.py), its rules follow in the main loop."""
        if not self._on_record():
            return await self._receive_now(message)
        if self._seen_before(message.message_id):
            return self._receipt(self._seq_of(message.message_id), duplicate=True)
        return self._record_message(message, answer_now=True)

    @workflow.update
    async def receive_message_decided(self, message: InboundMessage) -> EventReceipt:
        """A customer message, answered once it is handled: the receipt's status is after the rules.

        For callers that act on the outcome at once (`?wait=decided`): the same recording and
        handling as `receive_message`, only the answer waits.
        """
        if not self._on_record():
            return await self._receive_now(message)
        if self._seen_before(message.message_id):
            return self._receipt(self._seq_of(message.message_id), duplicate=True)
        recorded = self._record_message(message, answer_now=False)
        await workflow.wait_condition(lambda: self._handled(recorded.seq))
        return self._receipt(recorded.seq, created=recorded.created)

    @receive_message.validator
    def _validate_receive_message(self, message: InboundMessage) -> None:
        self._refuse_message(message)

    @receive_message_decided.validator
    def _validate_receive_message_decided(self, message: InboundMessage) -> None:
        self._validate_receive_message(message)

    @workflow.update
    async def post_reply(self, reply: AgentReply) -> EventReceipt:
        if reply.message_id is not None and self._seen_before(reply.message_id):
            await self._original_recorded(reply.message_id)
            return self._repeat_receipt(reply.message_id)
        self._remember_reply(reply)
        with self._reply_pending(reply.message_id):
            return await self._reply(reply)

    @post_reply.validator
    def _validate_post_reply(self, reply: AgentReply) -> None:
        if reply.message_id is not None and reply.message_id in self._seen:
            self._refuse_other_words(reply)
            return  # a client's retry of a reply taken before the close: its receipt, not a refusal
        self._reject_when_closed()
        self._refuse_unsendable(reply)

    @workflow.update
    async def change_status(self, change: StatusChange) -> EventReceipt:
        await self._let_answers_out()
        async with self._lock:
            await self._handle_inbox()
            await self._ensure_pack()
            raised: Raised = []
            await self._set_status(change.status.value, raised, change.actor)
            seq = await self._follow(raised)
            await self._flush_records()
            self._changed()
            # The status it had already: nothing recorded, said as a repeat (it read as a change).
            return self._receipt(seq or self._state.event_seq, duplicate=seq is None)

    @change_status.validator
    def _validate_change_status(self, change: StatusChange) -> None:
        if change.status is Status.CLOSED and self._state.status is Status.CLOSED:
            return  # a client's retry of its close: answered as a repeat, not a 409 (helper-117)
        self._reject_when_closed()

    @workflow.update
    async def record_bounce(self, bounce: BounceReport) -> EventReceipt:
        """A delivery report of one of our emails (issue 20): `message.bounced` for the rules, on record.

        Not a customer message: no counters, SLA clocks or threads move, and nothing is acknowledged.
        """
        if self._seen_before(bounce.message_id):
            return self._receipt(self._state.event_seq, duplicate=True)
        await self._let_answers_out()
        async with self._lock:
            await self._handle_inbox()  # messages recorded before the report are handled first
            await self._ensure_pack()
            details = {
                "bounced_message_id": bounce.bounced_message_id,
                "bounce_action": bounce.action or None,
                "bounce_status": bounce.status or None,
            }
            bounced = self._bounced_reply(bounce.bounced_message_id)
            if self._state.status in TERMINAL and self._patched(BOUNCE_AFTER_CLOSE_PATCH):
                seq = self._bounce_on_closed(details, bounced)
            else:
                seq = await self._process("message.bounced", extra={"event": details}, message_id=bounced)
            await self._flush_records()
            self._changed()
            return self._receipt(seq)

    @record_bounce.validator
    def _validate_record_bounce(self, bounce: BounceReport) -> None:
        # A bounce of the survey or the last reply often comes after the close: refused (409), the
        # mail gateway's report of it was lost. Runs that end at the close take none.
        if self._closed_for_good():
            self._reject_when_closed()

    @workflow.update
    async def assign(self, assignment: Assignment) -> EventReceipt:
        await self._let_answers_out()
        async with self._lock:
            await self._handle_inbox()
            await self._ensure_pack()
            s = self._state
            if self._desk():
                return await self._assign_through_desk(assignment)
            if assignment.agent_id is None:  # begun before the desk: nothing keeps a team's queue
                raise ApplicationError(
                    "this conversation began before the assignment desk: name the agent", type="TeamRefused"
                )
            if assignment.team:
                s.team = assignment.team
            if s.assignee == assignment.agent_id:
                return self._receipt(s.event_seq, duplicate=True, assignment=True)
            s.assignee = assignment.agent_id
            actor = {"actor": assignment.actor} if assignment.actor else None
            seq = await self._process("conversation.assigned", extra=actor)
            await self._flush_records()
            self._changed()
            return self._receipt(seq, assignment=True)

    @workflow.update
    async def unassign(self, release: AssignmentRelease) -> EventReceipt:
        """A person took the agent off it: the desk frees the slot; the conversation waits unassigned."""
        await self._let_answers_out()
        async with self._lock:
            await self._handle_inbox()
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
            ) + (f" by {release.actor}" if release.actor else "")
            actor = {"actor": release.actor} if release.actor else None
            seq = await self._process("conversation.unassigned", note=why, extra=actor)
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
        await self._let_answers_out()
        async with self._lock:
            await self._handle_inbox()
            current = self._state.assignment
            if current is None or current.request_id != outcome.request_id or not current.queued:
                return
            raised: Raised = []
            await self._take(outcome, raised, cause=f"the assignment desk served team {current.team}'s queue")
            await self._follow(raised)
            await self._flush_records()
            self._changed()

    @workflow.signal(name=DESK_UNASSIGNED)
    async def desk_unassigned(self, lost: Unassignment) -> None:
        """The agent went away past the grace period or was removed: back in the queue, unassigned."""
        await self._let_answers_out()
        async with self._lock:
            await self._handle_inbox()
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
        if assignment.agent_id is None and not assignment.team:
            raise ApplicationError("name the agent or the team", type="TeamRefused")
        if assignment.agent_id is None and self._state.status == Status.SOLVED:
            # A solved conversation waits for its customer, not an agent: sent to a queue it was
            # listed and served at once, where one solved while it waited is held unlisted.
            raise ApplicationError(
                "the conversation is solved: no team serves it until its customer writes again (its "
                "rules route it then); name an agent to give it to one now",
                type="TeamRefused",
            )

    @workflow.update
    async def complete_survey(self, answer: SurveyAnswer) -> EventReceipt:
        await self._let_answers_out()
        async with self._lock:
            await self._handle_inbox()
            await self._ensure_pack()
            survey = self._state.survey
            if survey.status != "sent" and self._patched(SURVEY_ANSWERED_ONCE_PATCH):
                raise ApplicationError(self._no_survey_waiting(), type="NoSurvey")
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
            raise ApplicationError(self._no_survey_waiting(), type="NoSurvey")

    @workflow.update(name=RETIRE_UPDATE)
    async def retire(self, retirement: Retirement) -> None:
        """End the run of a conversation closed and idle (engine/contracts/retirement.py): its runs can
        then be deleted with nothing of a later message in them. A message after this begins a new
        conversation under the same id; one taken before it in the same task reopens this one, and the
        run goes on (`_closed_for_good` holds only while it is closed)."""
        self._retired = True
        self._wake = True

    @retire.validator
    def _validate_retire(self, retirement: Retirement) -> None:
        s = self._state
        if s.status is not Status.CLOSED:
            why = f"it is {s.status.value}, not closed"
        elif s.updated_at >= retirement.idle_before:
            why = "it was active since"
        elif s.inbox or s.unsent_events or self._in_background() or self._due_instants():
            why = "something of it still waits (a message, a send, an event or a timer)"
        else:
            return
        raise ApplicationError(f"not retired: {why}", type="NotRetirable")

    @workflow.query
    def state(self) -> ConversationState:
        return self._state

    @workflow.query
    def state_without_trail(self) -> ConversationState:
        """What reads of the conversation need: its trail (up to 500 decisions, most of a long
        conversation's state) is read through `decisions`."""
        return self._state.model_copy(update={"decisions": []})

    @workflow.query
    def decisions(self) -> list[DecisionEntry]:
        return self._state.decisions
