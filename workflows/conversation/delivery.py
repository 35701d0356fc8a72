"""Everything the conversation sends out: messages through its channel, and writes to the CRM.

Each send is an activity whose idempotency key is `{workflow id}:{life id}:{key}` (core.py `_key`),
the key naming the event and the action that caused it, so a retried activity or a replayed event
never sends twice, and no later thread or run reuses a key. A send
that fails for good is returned as the reason, and the caller records it in the decision trail.

A send the channel does not take at once (a retryable failure of its short local attempt) goes on in
the background, behind any send still waiting there (background.py), so a channel that is down holds
neither the handler that sent it nor the conversation's lock: an agent's reply is answered, a status
change made, while the reply waits for the channel. A CRM write the same, in a line of its own. The
trail records how each ended (`message.delivered`, `message.delivery_failed`, `crm.written`,
`crm.write_failed`); the run ends only once they have.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from engine.contracts.activities import Channels, Crm
    from engine.contracts.conversation import CHANNEL_CAPABILITIES, ConversationStart, DecisionEntry
    from engine.contracts.crm import CrmWrite
    from engine.contracts.outbound import OutboundMessage
    from engine.rules.actions import ActionResult
    from engine.rules.templates import choose_text, render
    from workflows.conversation.background import Ended, Line
    from workflows.conversation.failures import ACTIVITY_FAILURES, asked_to_wait, cause, retryable
    from workflows.conversation.options import CRM_WRITE, DELIVERY, LOCAL_CRM_WRITE, LOCAL_DELIVERY
    from workflows.conversation.patches import (
        BACKGROUND_SENDS_PATCH,
        CRM_WRITES_PATCH,
        LATE_ITEMS_PATCH,
        LINES_PATCH,
    )
    from workflows.conversation.patches_late import RETRY_AFTER_FIRST_PATCH, TEMPLATE_FALLBACK_PATCH
    from workflows.conversation.sla import SlaClocks

# What a send's failure for good begins with, in `_deliver`'s answer and on the trail.
REFUSED = "delivery failed"
# Kinds of message the customer reads: cut to what the channel takes rather than refused whole.
CUSTOMER_FACING = ("auto_reply", "agent_reply", "survey")


def what_was_sent(kind: str, key: str) -> str:
    """How the trail names a send in the entry that says how it ended: its kind, event and key."""
    return f"the {kind} of event {key.split(':')[0]} ({key})"


@dataclass(frozen=True)
class SentLater:
    """The channel did not take a send at once: it goes on in the background (the trail says how it ends)."""

    note: str = (
        "the channel did not take it at once: it is sent in the background, in order, under the same key"
    )


# What a rule's CRM write says when the CRM did not take it at once.
WRITTEN_LATER = (
    "the CRM did not take it at once: it is written in the background, in order, under the same key"
)


class Delivery(SlaClocks):
    """Outbound messages shaped for the channel, rendered templates, and CRM write-back."""

    def __init__(self, start: ConversationStart) -> None:
        super().__init__(start)
        self._background_on: bool | None = None
        self._crm_local_on: bool | None = None
        self._lines_on_: bool | None = None
        # The customer's messages in one line (they arrive in the order they were sent); notifications
        # and webhooks to other people in another, so an integrator's URL that is down delays no reply.
        self._customer_sends = Line()
        self._other_sends = Line()
        self._crm_writes = Line()
        self._ended: list[Ended] = []  # background items that ended, for the trail
        # Agent replies (their message ids) whose send goes on in the background: a repeat's receipt
        # says `sending` (replies.py). A run's items end in that run, so it is never carried.
        self._replies_sending: set[str] = set()

    def _in_background(self) -> int:
        """Sends and CRM writes still going on in the background: the run does not end before them."""
        return self._customer_sends.waiting + self._other_sends.waiting + self._crm_writes.waiting

    def _sends_of(self, kind: str) -> Line:
        if kind in CUSTOMER_FACING or not self._lines_on():
            return self._customer_sends
        return self._other_sends

    def _lines_on(self) -> bool:
        """Whether this run has a line per recipient and sends surveys in the background (asked when a
        line is in use: runs of bundles g and h keep one line, and a survey that waits for it)."""
        if self._lines_on_ is None:
            self._lines_on_ = self._patched(LINES_PATCH)
        return self._lines_on_

    async def _deliver(
        self,
        key: str,
        *,
        kind: str,
        text: str,
        to: str,
        template: str | None = None,
        language: str | None = None,
        template_only: bool = False,
        message_id: str | None = None,
    ) -> str | SentLater | None:
        """Send through the channel: None when delivered, else why it failed for good, or SentLater."""
        s = self._state
        limit = CHANNEL_CAPABILITIES[s.channel.value].max_length
        if limit is not None and len(text) > limit and kind in CUSTOMER_FACING:
            text = text[: limit - 1] + "…"
        replying = s.channel.value == "email" and bool(s.thread_message_ids)
        message = OutboundMessage(
            idempotency_key=self._key(key),
            conversation_id=s.conversation_id,
            tenant=s.tenant,
            channel=s.channel.value,
            to=to,
            kind=kind,
            text=text,
            template=template,
            language=language,
            template_only=template_only,
            subject=s.subject,
            in_reply_to=s.thread_message_ids[-1] if replying else None,
            references=s.thread_message_ids[:-1] if replying else [],
        )
        if self._customer_sends.waiting or self._other_sends.waiting:  # runs with BACKGROUND_SENDS_PATCH
            if self._sends_of(kind).waiting:
                if self._may_send_later(kind):
                    return self._send_later(message, key, message_id)  # behind those, in order
                await workflow.wait_condition(lambda: not self._customer_sends.waiting)
        wait: timedelta | None = None
        if self._local_io():
            try:
                await workflow.execute_local_activity_method(
                    Channels.deliver_message, message, **LOCAL_DELIVERY
                )
                return None
            except ACTIVITY_FAILURES as exc:
                if not retryable(exc):
                    return f"{REFUSED}: {cause(exc)}"
                # The channel is down or slow: the normal activity retries it, same key.
                wait = asked_to_wait(exc)
            if self._background() and self._may_send_later(kind):
                return self._send_later(message, key, message_id, wait)
        self._publish_attributes()  # the task completes while a normal activity runs
        try:
            await workflow.execute_activity_method(Channels.deliver_message, message, **DELIVERY)
        except ActivityError as exc:
            return f"{REFUSED}: {cause(exc)}"
        return None

    def _may_send_later(self, kind: str) -> bool:
        """Runs of bundles g and h sent a survey in the handler (its status waited for the send)."""
        return kind != "survey" or self._lines_on()

    def _background(self) -> bool:
        """Whether this run sends in the background (asked at its first send the channel did not take)."""
        if self._background_on is None:
            self._background_on = self._patched(BACKGROUND_SENDS_PATCH)
        return self._background_on

    def _send_later(
        self, message: OutboundMessage, key: str, message_id: str | None, wait: timedelta | None = None
    ) -> SentLater:
        """`wait`: the far side's Retry-After on the first attempt, waited before the first try here."""
        self._lines_on()  # asked at the first item put in: the run's end reads it (inbox.py)
        thread = self._state.thread
        self._sends_of(message.kind).put(
            functools.partial(self._send_in_background, message, key, message_id, thread, wait)
        )
        self._state.sends_waiting += 1  # counted down when the trail records its end
        if message_id is not None:
            self._replies_sending.add(message_id)
        return SentLater()

    async def _send_in_background(
        self,
        message: OutboundMessage,
        key: str,
        message_id: str | None,
        thread: int,
        wait: timedelta | None = None,
    ) -> None:
        """The normal activity with its hour of retries; how it ended waits for the trail."""
        what = what_was_sent(message.kind, key)
        if wait and self._patched(RETRY_AFTER_FIRST_PATCH):
            await workflow.sleep(wait)  # its line waits too: the far side throttles them all
        try:
            await workflow.execute_activity_method(Channels.deliver_message, message, **DELIVERY)
            event, note = "message.delivered", f"{what} was delivered late"
        except ActivityError as exc:
            event, note = "message.delivery_failed", f"{what}: {REFUSED}: {cause(exc)}"
        self._ended.append(Ended(event, note, message.kind, thread, message_id))

    def _count_ended(self, item: Ended) -> None:
        """An item that ended no longer waits (the caller puts it on the trail in the same task)."""
        s = self._state
        # Counted down with the entry, so a read never finds a send neither waiting nor on the trail;
        # never below 0: a run of 5d13662..2a00f8b put items in before the counts existed.
        if item.kind == "crm":
            s.crm_writes_waiting = max(s.crm_writes_waiting - 1, 0)
        else:
            s.sends_waiting = max(s.sends_waiting - 1, 0)
        if item.message_id is not None:
            self._replies_sending.discard(item.message_id)

    def _record_item(self, item: Ended) -> None:
        """Put a background item that ended on the trail (the caller holds the lock)."""
        s = self._state
        # An item of a thread that closed since is recorded on that thread (runs before
        # LATE_ITEMS_PATCH recorded it on the thread under way).
        current = item.thread == s.thread
        late = not current and self._patched(LATE_ITEMS_PATCH)
        # A survey counted as sent when it went to the background (its KPI fact) and failed there.
        failed = item.event == "message.delivery_failed"
        survey_failed = item.kind == "survey" and failed and (current or late)
        if survey_failed and current:
            s.survey.status = "failed"
        seq = self._next_event()
        if late:
            self._late.add(seq)
        self._record(
            DecisionEntry(
                seq=seq,
                event=item.event,
                at=workflow.now(),
                note=item.note,
                message_id=item.message_id,
                kpi={"send": "survey"} if survey_failed else None,  # engine/kpis/facts.py
            ),
            thread=item.thread if late else None,
        )

    async def _crm_write(
        self, key: str, *, field: str | None = None, value: Any = None, note: str | None = None
    ) -> ActionResult:
        s = self._state
        if not s.customer_profile:
            return ActionResult("skipped", f"no CRM record for this customer ({s.enrichment})")
        change = CrmWrite(
            tenant=s.tenant,
            customer_id=s.customer_profile["id"],
            idempotency_key=self._key(key),
            field=field,
            value=value,
            note=note,
        )
        if self._crm_writes.waiting:  # only in runs with CRM_WRITES_PATCH: behind those, in order
            return self._write_later(change, key)
        if self._crm_local():
            try:
                await workflow.execute_local_activity_method(Crm.crm_write, change, **LOCAL_CRM_WRITE)
                return ActionResult()
            except ACTIVITY_FAILURES as exc:
                if not retryable(exc):
                    return ActionResult("failed", f"CRM write failed: {cause(exc)}")
            return self._write_later(change, key)
        self._publish_attributes()  # the task completes while a normal activity runs
        try:
            await workflow.execute_activity_method(Crm.crm_write, change, **CRM_WRITE)
        except ActivityError as exc:
            return ActionResult("failed", f"CRM write failed: {cause(exc)}")
        return ActionResult()

    def _crm_local(self) -> bool:
        """Whether this run writes to the CRM with one short local attempt, then in the background
        (asked at its first write)."""
        if self._crm_local_on is None:
            self._crm_local_on = self._patched(CRM_WRITES_PATCH)
        return self._crm_local_on

    def _write_later(self, change: CrmWrite, key: str) -> ActionResult:
        self._lines_on()  # asked at the first item put in: the run's end reads it (inbox.py)
        self._crm_writes.put(functools.partial(self._write_in_background, change, key, self._state.thread))
        self._state.crm_writes_waiting += 1
        return ActionResult("done", WRITTEN_LATER)

    async def _write_in_background(self, change: CrmWrite, key: str, thread: int) -> None:
        what = f"the CRM write of event {key.split(':')[0]} ({key})"
        try:
            await workflow.execute_activity_method(Crm.crm_write, change, **CRM_WRITE)
            event, note = "crm.written", f"{what} was written late"
        except ActivityError as exc:
            event, note = "crm.write_failed", f"{what}: CRM write failed: {cause(exc)}"
        self._ended.append(Ended(event, note, "crm", thread))

    def _template(self, name: str, context: dict[str, Any]) -> tuple[str, str]:
        """(language, rendered text) of a pack template, in the conversation's language if it has it.

        Dates and times in it read in that language and in the time zone of the calendar the rules
        see (`business_hours.*`), UTC when the pack has none. Babel reads its locale data (and
        zoneinfo its zone) from files the first time a worker process uses them; the sandbox forbids
        `open`, so rendering runs unrestricted: the files are read-only data of pinned packages, the
        text depends only on the template and the context, never on time or state outside history.
        """
        texts, default = self.pack.templates[name], self.pack.meta.language
        wanted = [self._state.language, context.get("customer", {}).get("language")]
        lang, text = choose_text(texts, wanted, default, regional=False)
        regional = choose_text(texts, wanted, default)
        # The language a send chose becomes the conversation's (actions.py): asked only where it differs.
        if regional != (lang, text) and self._patched(TEMPLATE_FALLBACK_PATCH):
            lang, text = regional
        return lang, self._rendered(text, lang, context)

    def _rendered(
        self, text: str, language: str, context: dict[str, Any], *, only_known: bool = False
    ) -> str:
        """`text` with its placeholders filled: a template's, or a rule's own text (notify, CRM)."""
        calendar = self._calendar_name()
        zone = self.pack.calendars.get(calendar, {}).get("timezone") if calendar else None
        with workflow.unsafe.sandbox_unrestricted():
            return render(text, context, language=language, zone=zone, only_known=only_known)

    def _template_text(self, name: str, context: dict[str, Any]) -> str | None:
        return self._template(name, context)[1] if name in self.pack.templates else None

    def _outside_free_form_window(self) -> bool:
        """WhatsApp-style channels take only approved templates this long after the customer wrote."""
        hours = CHANNEL_CAPABILITIES[self._state.channel.value].free_form_window_hours
        s = self._state
        last = max((t for t in (s.last_customer_message_at, s.last_heard_at) if t is not None), default=None)
        return hours is not None and last is not None and workflow.now() - last > timedelta(hours=hours)
