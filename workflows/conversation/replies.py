"""An agent's reply: sent through the conversation's channel once per `message_id`, answered with how
its send went.

The receipt's `delivery` is what an agent's desk shows beside the reply: `delivered` (the channel
took it), `sending` (the channel did not take it at once: it goes on in the background, delivery.py,
and ends in `message.delivered` or `message.delivery_failed`) or `failed` (the channel refused it).
A refusal at once is told as a refusal in the background is: a `message.delivery_failed` entry after
`message.sent` (and what its rules raised), with the reply's `message_id` and the reason, so
subscribers hear of it (REFUSED_TOLD_PATCH; before it, the `message.sent` entry's note alone said so,
and a failed decision overwrites that note). A repeat of the reply (a client's retry after a timeout)
is answered with the original's seq and how its send stands now: `sending` while its item waits in a
line (delivery.py `_replies_sending`), else what the trail says.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from engine.contracts.conversation import (
        CHANNEL_CAPABILITIES,
        DecisionEntry,
        DeliveryState,
        EventReceipt,
        Status,
    )
    from engine.contracts.helpdesk_actions import AgentReply
    from engine.contracts.message_ids import digest_in, key_digest
    from engine.kpis.facts import event_view
    from workflows.conversation.delivery import REFUSED, SentLater, what_was_sent
    from workflows.conversation.manual_assignment import ManualAssignment
    from workflows.conversation.patches import (
        BOUNCED_REPLY_PATCH,
        FAILED_REPLY_DECIDED_PATCH,
        REFUSED_TOLD_PATCH,
        REPEAT_WAITS_PATCH,
    )
    from workflows.conversation.patches_late import REPLY_RESTARTS_IDLE_PATCH


def reply_digest(reply: AgentReply) -> str:
    """A short digest of who replied and with what: a retry's is the same, another reply's is not."""
    said = json.dumps([reply.agent_id, reply.text, reply.template], ensure_ascii=False)
    return hashlib.sha256(said.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def delivery_of(sent: str | SentLater | None) -> DeliveryState:
    """How a send stands, from what `_deliver` returned (a reason is a refusal)."""
    if sent is None:
        return "delivered"
    return "sending" if isinstance(sent, SentLater) else "failed"


class Replies(ManualAssignment):
    """An agent's reply, its repeats, and how its send went."""

    async def _reply(self, reply: AgentReply) -> EventReceipt:
        await self._let_answers_out()
        async with self._lock:
            await self._handle_inbox()
            await self._ensure_pack()
            if reply.template is not None and reply.template not in self.pack.templates:
                if reply.message_id is not None:  # remembered on arrival: its retry, mended, is no repeat
                    self._seen.pop(reply.message_id, None)
                raise self._unknown_template(reply.template)
            s = self._state
            now = workflow.now()
            seq = self._next_event()
            s.agent_messages += 1
            s.first_agent_reply_at = s.first_agent_reply_at or now
            s.last_agent_reply_at = now
            if s.assignment is not None:
                s.assignment.unanswered_at = None
            if s.status is Status.PENDING and (s.timers.idle_at or s.timers.auto_close_at):
                if self._patched(REPLY_RESTARTS_IDLE_PATCH):  # they count from the agent's latest word
                    self._arm_idle(self.pack.settings)
            key = self._reply_key(seq)
            sent = await self._send_reply(key, reply)
            self._meet_sla("first_response", "next_response")
            self._replying_agent = reply.agent_id
            note = sent.note if isinstance(sent, SentLater) else sent
            await self._process("message.sent", seq=seq, note=note, message_id=reply.message_id)
            self._replying_agent = None
            if isinstance(sent, str) and self._patched(REFUSED_TOLD_PATCH):
                await self._reply_failed(f"{what_was_sent('agent_reply', key)}: {sent}", reply.message_id)
            await self._flush_records()
            self._changed()
            return self._receipt(seq, delivery=delivery_of(sent))

    async def _send_reply(self, key: str, reply: AgentReply) -> str | SentLater | None:
        """The agent's text, or the pack template it names, rendered in the customer's language and
        marked template-only outside the channel's free-form window (the gateway sends the approved
        template of that name)."""
        to = self._state.customer.address
        if reply.template is None:
            return await self._deliver(
                key, kind="agent_reply", text=reply.text, to=to, message_id=reply.message_id
            )
        language, text = self._template(reply.template, self._context("message.sent", 0, None, {}))
        return await self._deliver(
            key,
            kind="agent_reply",
            text=text,
            to=to,
            message_id=reply.message_id,
            template=reply.template,
            language=language,
            template_only=self._outside_free_form_window(),
        )

    def _no_survey_waiting(self) -> str:
        """Why a survey answer is refused: a survey of an earlier thread that the next one ended says
        so ("survey none" read as if no survey had ever been sent)."""
        s = self._state
        earlier = s.threads[-1] if s.threads and s.survey.status == "none" else None
        if earlier is not None and earlier.survey == "expired":
            return (
                f"no survey is waiting for an answer: thread {earlier.thread}'s ended unanswered when the "
                f"customer began thread {s.thread}"
            )
        return f"no survey is waiting for an answer (survey {s.survey.status})"

    def _unknown_template(self, template: str) -> ApplicationError:
        """The update's failure for a template the conversation's pack lacks (nothing is recorded)."""
        known = ", ".join(sorted(self.pack.templates)) or "none"
        return ApplicationError(
            f"no template {template!r} in the conversation's rule pack (its templates: {known})",
            type="UnknownTemplate",
        )

    def _refuse_unsendable(self, reply: AgentReply) -> None:
        """Refuse (the update's validator) a reply its channel cannot carry: longer than the channel
        takes (it was cut and answered "delivered": the customer read half of it), free text after
        the free-form window (it went out as free text, which WhatsApp refuses), a template the
        pack lacks. A message queued and not yet handled opens the window again."""
        channel = self._state.channel.value
        if reply.template is not None:
            # Without the pack loaded (a run just continued) the handler asks, once it has loaded it.
            if self._pack is not None and reply.template not in self._pack.templates:
                raise self._unknown_template(reply.template)
            return
        limit = CHANNEL_CAPABILITIES[channel].max_length
        if limit is not None and len(reply.text) > limit:
            raise ApplicationError(
                f"{len(reply.text)} characters: {channel} carries at most {limit} per message; "
                "shorten it or send it in parts",
                type="TextTooLong",
            )
        if not self._state.inbox and self._outside_free_form_window():
            hours = CHANNEL_CAPABILITIES[channel].free_form_window_hours
            last = self._state.last_customer_message_at
            raise ApplicationError(
                f"{channel} takes only approved templates {hours:g} hours after the customer's last "
                f"message ({last.isoformat() if last else 'unknown'}): send a template of the pack "
                '({"template": "<name>"}) instead of text',
                type="OutsideMessagingWindow",
            )

    async def _reply_failed(self, note: str, message_id: str | None) -> None:
        """`message.delivery_failed` of an agent's reply, decided by the rules, so a pack can tag the
        conversation or tell its team (FAILED_REPLY_DECIDED_PATCH; runs before recorded it alone)."""
        if self._patched(FAILED_REPLY_DECIDED_PATCH):
            failed = {"failed_message_id": message_id}
            await self._process(
                "message.delivery_failed", note=note, message_id=message_id, extra={"event": failed}
            )
            return
        entry = DecisionEntry(
            seq=self._next_event(),
            event="message.delivery_failed",
            at=workflow.now(),
            note=note,
            message_id=message_id,
        )
        self._record(entry)

    async def _record_ended(self) -> None:
        """Put the background items that ended on the trail (the caller holds the lock). An agent's
        reply of the thread under way that failed for good is decided on, as one refused at once is;
        a closed thread's (also the thread under way once it closed) is recorded alone: the rules act
        on the conversation as it is now, and that thread is over (an `assign` would take a seat no
        close gives back)."""
        ended, self._ended = self._ended, []
        for item in ended:
            self._count_ended(item)
            failed = item.event == "message.delivery_failed"
            open_thread = item.thread == self._state.thread and self._state.status is not Status.CLOSED
            if failed and item.kind == "agent_reply" and open_thread:
                await self._reply_failed(item.note, item.message_id)
            else:
                self._record_item(item)

    def _remember_reply(self, reply: AgentReply) -> None:
        """What a new reply said, by its message id, so that the id coming again with other words is
        refused (`_refuse_other_words`) rather than answered as a repeat: a second reply under a used
        id was dropped while the agent read "200", its correction never sent. In memory and carried
        over continue-as-new only: no command changes, so no patch (a validator does not run when
        history replays)."""
        if reply.message_id is not None:
            self._reply_digests[reply.message_id] = reply_digest(reply)

    def _refuse_other_words(self, reply: AgentReply) -> None:
        assert reply.message_id is not None
        if self._whose(reply.message_id) == "customer":
            raise ApplicationError(
                f"message_id {reply.message_id!r} is a customer message's in this conversation: give the "
                "reply an id of its own",
                type="MessageIdReused",
            )
        said = self._reply_digests.get(reply.message_id)  # none for a reply before this release
        if said is not None and said != reply_digest(reply):
            raise ApplicationError(
                f"message_id {reply.message_id!r} was a reply with other words (agent, text or template), "
                "sent already: send this one under a new message_id",
                type="MessageIdReused",
            )

    def _repeat_receipt(self, message_id: str) -> EventReceipt:
        seq = self._seq_of(message_id)
        return self._receipt(seq, duplicate=True, delivery=self._delivery_now(message_id))

    def _delivery_now(self, message_id: str) -> DeliveryState | None:
        """How a reply's send stands: going on in the background, else what the trail says of it
        (None: the reply is older than the trail)."""
        if message_id in self._replies_sending:
            return "sending"
        for entry in reversed(self._state.decisions):
            if entry.message_id != message_id:
                continue
            if entry.event == "message.delivery_failed":
                return "failed"
            if entry.event == "message.sent":  # a refusal's note, in runs before REFUSED_TOLD_PATCH
                return "failed" if (entry.note or "").startswith(REFUSED) else "delivered"
            if entry.event == "message.delivered":
                return "delivered"
        return None

    @contextmanager
    def _reply_pending(self, message_id: str | None) -> Iterator[None]:
        """While an agent's reply is handled, a repeat of it waits (`_original_recorded`)."""
        if message_id is not None:
            self._replies_pending.add(message_id)
        try:
            yield
        finally:
            if message_id is not None:
                self._replies_pending.discard(message_id)

    async def _original_recorded(self, message_id: str) -> None:
        """A repeat of a reply still waiting for the conversation is answered once the original has
        its seq (REPEAT_WAITS_PATCH): answered at once, it named the newest seq, not the reply's."""
        if message_id in self._replies_pending and self._patched(REPEAT_WAITS_PATCH):
            await workflow.wait_condition(lambda: message_id not in self._replies_pending)

    def _reply_key(self, seq: int) -> str:
        """The send key of the agent's reply recorded at `seq` (before threads `{seq}:0`, which is
        also the key of the first action decided on that `message.sent`)."""
        return f"{seq}:reply" if self._threads() else f"{seq}:0"

    def _bounce_on_closed(self, details: dict[str, str | None], bounced: str | None) -> int:
        """A bounce after the close: on the closed thread's trail (and to subscribers), its rules not
        run: that thread is over, and the conversation's next thread is the customer's to begin."""
        s = self._state
        entry = DecisionEntry(
            seq=self._next_event(),
            event="message.bounced",
            at=workflow.now(),
            message_id=bounced,
            note="bounced after the close: recorded, the closed conversation's rules not run",
        )
        self._record(entry)
        entry.kpi = event_view("message.bounced", {"event": details}, status=s.status.value, automated=False)
        return entry.seq

    def _bounced_reply(self, bounced_message_id: str | None) -> str | None:
        """The integrator's id of the agent reply a bounce quotes our Message-ID of (its key digest,
        engine/contracts/message_ids.py), or None: an automatic reply's, or one of an earlier run."""
        digest = digest_in(bounced_message_id or "")
        if digest is None:
            return None
        for entry in self._state.decisions:
            if entry.event != "message.sent" or entry.message_id is None:
                continue
            if key_digest(self._key(self._reply_key(entry.seq))) == digest:
                return entry.message_id if self._patched(BOUNCED_REPLY_PATCH) else None
        return None
