"""The inbox: a customer message is answered when it is recorded, and handled right after (issue 15).

Recording is what the caller needs to know at once: the message id checked against the remembered
ones (a repeat answers `duplicate`), its seq and thread given, the message queued in state. It needs
no activity, so the update answers in the workflow task it arrived in. The main loop then handles the
queue one message at a time in seq order, exactly as the update used to before it answered: the new
thread after a close, the CRM lookup, `conversation.created` or the customer coming back,
`message.received`, the same decisions and the same idempotency keys. Every handler that takes the
lock handles the queue first, so an event that came after a message is never handled before it.

The seq a message is recorded with is the seq of the first trail entry its handling makes (it is
reserved; `_next_event` hands it out), so with nothing queued the seqs are the ones the update gave
before. Events that the rules raise while a message is handled take the next free seq, which may be
above the seq of a message recorded meanwhile; the queue is still handled in seq order.

An update's answer leaves the worker only when its workflow task completes, and a task that starts
local activities completes when they have finished: handling the queue in the task the message was
recorded in would hold its answer until its rules had run. So the handling begins with a 1 ms timer
when a message was answered in this task: the task completes (the answer goes out) and the timer's
task handles the message. The timer fires a few ms after it is due on `convoflow up`'s embedded
server, in tests and on the compose cluster; a server left at Temporal's default
`timerProcessorMaxTimeShift` (1 s) fires it up to a second late (engine/service/temporal_server.py
`TIMER_SHIFT`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from engine.contracts.conversation import (
        AUTOMATED_SENDER_PATTERN,
        RECEIVED_AT_MAX_AGE,
        RECEIVED_AT_MAX_AHEAD,
        DecisionEntry,
        EventReceipt,
        InboundMessage,
        MessageKeeps,
        RecordedMessage,
        Status,
    )
    from engine.contracts.customer_address import same_sender
    from engine.contracts.phone_numbers import PHONE_CHANNELS
    from engine.contracts.survey_ratings import rating_of
    from workflows.conversation.core import TERMINAL
    from workflows.conversation.failures import ACTIVITY_FAILURES, cause, error_type
    from workflows.conversation.patches import AUTOMATIC_REPLY_CHANGES_NOTHING_PATCH
    from workflows.conversation.patches_late import (
        AUTOMATIC_REPLY_KEEPS_CLOSED_PATCH,
        LATEST_MESSAGE_TIME_PATCH,
        RATING_WORDS_PATCH,
        REOPEN_WAITS_PATCH,
        SURVEY_BY_MESSAGE_PATCH,
    )
    from workflows.conversation.threads import Threads

AUTOMATED_SENDER = re.compile(AUTOMATED_SENDER_PATTERN, re.IGNORECASE)
# A channel's receive time is believed within these bounds of the workflow's clock.
MAX_MESSAGE_AGE = RECEIVED_AT_MAX_AGE
MAX_CLOCK_SKEW = RECEIVED_AT_MAX_AHEAD
# Patch: the creation decision records the message's threading note (conversations created before
# it have none to record; the patch keeps their histories replaying as they were).
THREADING_NOTE = "threading-note"
# Issue 15: a message update answers when the message is recorded; its handling follows in the main
# loop. Asked first thing (the first message's update, or `run`), so a run that began before keeps
# answering after the handling for the rest of the run when it replays; its next run answers early.
ANSWER_ON_RECORD_PATCH = "answer-on-record"
# The timer that ends the workflow task after an early answer, so the answer goes out before the
# handling's local activities run (the shortest timer the server takes).
LET_ANSWERS_OUT = timedelta(milliseconds=1)


class Inbox(Threads):
    """Customer messages: recorded and answered at once, then handled in seq order."""

    def _on_record(self) -> bool:
        """Whether this run answers a message when it is recorded (issue 15; needs threads)."""
        if self._on_record_on is None:
            self._on_record_on = self._patched(ANSWER_ON_RECORD_PATCH) and self._threads()
        return self._on_record_on

    def _record_message(self, message: InboundMessage, *, answer_now: bool) -> EventReceipt:
        """Queue a new message (its id already remembered) and say what its receipt says.

        No await: the message is recorded in one step of the task, so a twin of it, or a
        continue-as-new, sees it either recorded or not at all. `status` is `open`: what a customer
        message leaves before the rules run (it wakes a pending conversation, reopens a solved one,
        begins a new thread after a close), or the status as it is for a message that leaves it so
        (`_keeps_the_thread`). The thread is the next one when the conversation is closed (or the
        last queued message begins it).
        """
        s = self._state
        s.event_seq += 1
        s.updated_at = workflow.now()
        keeps = self._keeps_the_thread(message)
        # Behind messages that keep a closed thread (an out-of-office), the first that does not begins
        # the next one.
        behind_kept = s.status in TERMINAL and all(r.keeps is not None for r in s.inbox)
        if s.inbox and not (keeps is None and behind_kept and s.inbox[-1].thread == s.thread):
            thread = s.inbox[-1].thread
        else:
            thread = s.thread + 1 if s.status in TERMINAL and keeps is None else s.thread
        created = thread == 1 and s.runs == 1 and s.customer_messages == 0 and not s.inbox
        s.inbox.append(RecordedMessage(seq=s.event_seq, thread=thread, message=message, keeps=keeps))
        self._wake = True
        if answer_now:
            self._answered_in = workflow.info().get_current_history_length()
        return EventReceipt(
            conversation_id=s.conversation_id,
            seq=s.event_seq,
            created=created,
            status=s.status if keeps is not None else Status.OPEN,
            thread=thread,
        )

    def _refuse_message(self, message: InboundMessage) -> None:
        """The receive updates' validator: refuses before anything is recorded (and does not run
        when history replays an accepted update). A repeat of a message already taken is answered as
        a duplicate, whatever channel or sender it says."""
        # A retired run takes a message that comes in the same task: it begins the next thread and
        # the run goes on (refused, the customer's message was lost with a final 409).
        if self._closed_for_good() and not self._retired:
            self._reject_when_closed()
        if message.message_id in self._seen:
            if self._whose(message.message_id) == "agent":  # one id for two messages: this one was lost
                raise ApplicationError(
                    f"message_id {message.message_id!r} is an agent reply's in this conversation: give the "
                    "customer's message an id of its own",
                    type="MessageIdReused",
                )
            return
        # An SMS posted to an email conversation was taken and counted as the customer's, its event
        # said email and the agent's reply went by email.
        channel = self._state.channel
        if message.channel is not None and message.channel != channel:
            raise ApplicationError(
                f"this conversation is on {channel.value}; the message came on "
                f"{message.channel.value}: give it a conversation of its own",
                type="ChannelMismatch",
            )
        # On SMS and WhatsApp the number is the person and replies go to it: another number's
        # message was taken as the customer's, and the agent's answer to it went to the customer's
        # phone (helper-117). Chat and social handles change (a visitor who signs in), and an email
        # may come from a colleague in copy: those are taken, as they always were.
        theirs = self._state.customer.address
        if channel.value in PHONE_CHANNELS and not same_sender(message.sender.address, theirs, channel.value):
            raise ApplicationError(
                f"this {channel.value} conversation is with another sender: replies go to its "
                "customer; give this sender a conversation of its own",
                type="SenderMismatch",
            )

    def _whose(self, message_id: str) -> str | None:
        """Whose message a seen id was, "customer" or "agent", as far as the trail (its newest 500
        entries) and the replies' digests tell; None when neither does. Customer messages and agent
        replies share one set of ids: a reply under a customer message's id was answered "duplicate"
        and never sent, and a customer message under a reply's id was dropped (helper-120)."""
        if message_id in self._reply_digests:
            return "agent"
        for entry in reversed(self._state.decisions):
            if entry.message_id == message_id:
                if entry.event in ("conversation.created", "message.received"):
                    return "customer"
                if entry.event == "message.sent":
                    return "agent"
        return None

    def _keeps_the_thread(self, message: InboundMessage) -> MessageKeeps | None:
        """Whether a message about to be recorded leaves the status and the thread as they are: a
        rating alone while the survey waits for its answer (SURVEY_BY_MESSAGE_PATCH), an automatic
        reply to a closed conversation (AUTOMATIC_REPLY_KEEPS_CLOSED_PATCH). Asked with nothing
        queued before it, which could change either."""
        s = self._state
        if s.inbox or s.customer_messages == 0 or not self._threads():
            return None
        automatic = message.auto_submitted and message.auto_reply is not False
        # Solved or closed only: open or pending, the survey of an earlier solve may still wait, and
        # "2" answers the agent's "how many units?".
        ended = s.status in (Status.SOLVED, *TERMINAL)
        if s.survey.status == "sent" and ended and not automatic and rating_of(message.text) is not None:
            return "survey_answer" if self._patched(SURVEY_BY_MESSAGE_PATCH) else None
        if (
            s.survey.status == "sent"
            and ended
            and not automatic
            and rating_of(message.text, any_language=True) is not None
            and self._patched(SURVEY_BY_MESSAGE_PATCH)
            and self._patched(RATING_WORDS_PATCH)
        ):
            return "survey_answer"
        if s.status in TERMINAL and automatic:
            return "automatic_reply" if self._patched(AUTOMATIC_REPLY_KEEPS_CLOSED_PATCH) else None
        # An out-of-office to an open, pending or solved conversation changes nothing either
        # (AUTOMATIC_REPLY_CHANGES_NOTHING_PATCH, asked at its handling): its receipt said `open` of a
        # conversation that stayed pending. Only the receipt reads this: no patch of its own.
        return "automatic_reply" if automatic else None

    def _seq_of(self, message_id: str) -> int:
        """A repeat's receipt names the seq the message was recorded with: its queue entry's, or its
        first trail entry's; the latest seq when it is older than the trail (or was never decided)."""
        s = self._state
        for recorded in s.inbox:
            if recorded.message.message_id == message_id:
                return recorded.seq
        return next((e.seq for e in s.decisions if e.message_id == message_id), s.event_seq)

    def _handled(self, seq: int) -> bool:
        return all(r.seq != seq for r in self._state.inbox)

    async def _let_answers_out(self) -> None:
        """End this workflow task first when it answered a message early, so the answer goes out now.

        Called before taking the lock: while the timer runs, an update that comes in the next task
        (an agent's reply) takes the lock and handles the queue itself, without waiting for the timer.
        """
        if self._state.inbox and self._answered_in == workflow.info().get_current_history_length():
            self._answers_going_out = True  # a handler's change meanwhile is published in its own task
            try:
                await workflow.sleep(LET_ANSWERS_OUT)
            finally:
                self._answers_going_out = False

    async def _handle_inbox(self) -> None:
        """Handle the recorded messages, oldest first (the caller holds the lock).

        A message whose handling fails (an activity or application error that nothing below caught)
        is recorded as failed and the next one is handled: a poison message never blocks the queue.
        """
        while True:
            # Before each message, and before whatever the caller handles next (a reply, a status
            # change): a clock already past its deadline breaches first (timers.py `_breach_overdue`).
            await self._breach_overdue()
            if not self._state.inbox:
                break
            recorded = self._state.inbox[0]
            self._reserved = recorded.seq
            try:
                await self._ensure_pack()
                await self._handle_message(recorded.message, recorded.keeps)
            except ACTIVITY_FAILURES as exc:
                self._record(
                    DecisionEntry(
                        seq=self._next_event(),
                        event="message.received",
                        at=workflow.now(),
                        message_id=recorded.message.message_id,
                        note=f"message not handled: {cause(exc)}",
                    )
                )
                workflow.logger.warning(
                    "message not handled: run %s seq %d (%s); the next one is",
                    workflow.info().run_id,
                    recorded.seq,
                    error_type(exc),
                )
            finally:
                self._reserved = None
            # A new thread's state took the queue over; the message handled is still its head.
            del self._state.inbox[0]
            await self._flush_records()
            self._changed()

    def _reopened_unanswered(self) -> bool:
        """A solved conversation the customer reopens waits for a response even when their message
        before the solve had none (the solve met its next response): it started no response clock,
        only the resolution (REOPEN_WAITS_PATCH; asked only when that clock is stopped)."""
        waiting = self._state.sla.targets.get("next_response")
        stopped = waiting is not None and not waiting.running and waiting.breached_at is None
        return stopped and self._patched(REOPEN_WAITS_PATCH)

    async def _handle_message(
        self, message: InboundMessage, keeps: MessageKeeps | None = None
    ) -> tuple[int, bool]:
        """What a customer message does (the caller loaded the pack): returns the seq of its
        `message.received` and whether it was the thread's first customer message."""
        s = self._state
        rating = rating_of(message.text, any_language=True) if keeps == "survey_answer" else None
        if rating is not None and s.survey.status == "sent":  # still waiting when its turn came
            s.survey.status, s.survey.rating = "completed", rating
            s.last_heard_at = self._received_at(message)  # WhatsApp's window counts it
            survey = {"rating": rating, "comment": None}
            note = "answered by the customer's message"
            # Its id on the entry (a repeat names its seq), not the message: the rules read the survey,
            # and the CSAT fact counts from now, not from the customer's message before it.
            seq = await self._process(
                "survey.completed", message_id=message.message_id, note=note, extra={"survey": survey}
            )
            return seq, False
        if keeps == "automatic_reply" and s.status in TERMINAL:
            seq = self._next_event()
            note = "an automatic reply (out-of-office) to the closed conversation: recorded, nothing else"
            self._record(
                DecisionEntry(
                    seq=seq,
                    event="message.received",
                    at=workflow.now(),
                    message_id=message.message_id,
                    note=note,
                )
            )
            return seq, False
        if self._state.status in TERMINAL and self._threads():
            await self._begin_thread()
        at = self._received_at(message)
        self._message_at, self._message_in_hand = at, message.message_id
        try:
            return await self._take_message(message, at)
        finally:
            self._message_at = self._message_in_hand = None

    async def _take_message(self, message: InboundMessage, at: datetime) -> tuple[int, bool]:
        s = self._state
        first = s.customer_messages == 0
        automatic_reply = message.auto_submitted and message.auto_reply is not False
        if not first and automatic_reply and self._patched(AUTOMATIC_REPLY_CHANGES_NOTHING_PATCH):
            # An out-of-office answering our reply: recorded and decided, nothing more. It reopened a
            # solved conversation, woke a pending one, started clocks, and our next reply threaded
            # under it. Auto-forwarded or a list's mail (`auto_reply` false) a person wrote: it does.
            s.customer_messages += 1
            seq = await self._process("message.received", message=message)
            return seq, False
        s.customer_messages += 1
        s.first_customer_message_at = s.first_customer_message_at or at
        waiting_since_reply = s.last_agent_reply_at is not None and (
            s.last_customer_message_at is None or s.last_customer_message_at <= s.last_agent_reply_at
        )
        latest = s.last_customer_message_at
        if latest is None or at >= latest or not self._patched(LATEST_MESSAGE_TIME_PATCH):
            s.last_customer_message_at = at  # a message delivered late leaves the latest one's time
        s.language = s.language or message.language
        if AUTOMATED_SENDER.match(message.sender.address) or (message.auto_submitted and first):
            s.customer_is_automated = True
        if message.subject and s.subject is None:
            s.subject = message.subject
        s.thread_message_ids = [*s.thread_message_ids, message.message_id][-10:]
        if first:
            note = await self._enrich()
            # The API says why it did not thread the message under the conversation it named.
            if message.threading_note and self._patched(THREADING_NOTE):
                note = "; ".join(n for n in (message.threading_note, note) if n)
            await self._process("conversation.created", message=message, note=note)
        else:
            reopening = s.status is Status.SOLVED
            await self._customer_came_back(message)
            if waiting_since_reply or (reopening and self._reopened_unanswered()):
                await self._start_next_response()
        seq = await self._process("message.received", message=message)
        await self._arm_unanswered()
        return seq, first

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

    async def _all_handled(self) -> bool:
        """Wait until every handler finished, or something waits to be handled (a message in the
        inbox, a background item's end for the trail); True for the former.

        Background items (delivery.py) are waited for here only in runs of bundles g and h; the
        others go back to the main loop for them (`run`), where timers fire meanwhile.
        """
        await workflow.wait_condition(
            lambda: (
                (workflow.all_handlers_finished() and (self._loop_waits() or not self._in_background()))
                or bool(self._state.inbox)
                or bool(self._ended)
            )
        )
        return not self._state.inbox and not self._ended

    def _loop_waits(self) -> bool:
        """Whether the main loop waits for the background items (LINES_PATCH, asked when one is put)."""
        return self._lines_on_ is True and not self._closed_for_good()

    async def _receive_now(self, message: InboundMessage) -> EventReceipt:
        """Runs that began before issue 15: handle the message, then answer."""
        if self._seen_before(message.message_id):
            return self._receipt(self._state.event_seq, duplicate=True)
        async with self._lock:
            await self._ensure_pack()
            seq, first = await self._handle_message(message)
            await self._flush_records()
            self._changed()
            s = self._state
            return self._receipt(seq, created=first and s.thread == 1 and s.runs == 1)
