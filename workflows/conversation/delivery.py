"""Everything the conversation sends out: messages through its channel, and writes to the CRM.

Each send is an activity whose idempotency key is `{workflow id}:{life id}:{key}` (core.py `_key`),
the key naming the event and the action that caused it, so a retried activity or a replayed event
never sends twice, and no later thread or run reuses a key. A send
that fails for good is returned as the reason, and the caller records it in the decision trail.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from engine.contracts.activities import Channels, Crm
    from engine.contracts.conversation import CHANNEL_CAPABILITIES
    from engine.contracts.crm import CrmWrite
    from engine.contracts.outbound import OutboundMessage
    from engine.rules.actions import ActionResult
    from engine.rules.templates import choose_text, render
    from workflows.conversation.failures import ACTIVITY_FAILURES, cause, retryable
    from workflows.conversation.options import CRM_WRITE, DELIVERY, LOCAL_DELIVERY
    from workflows.conversation.sla import SlaClocks

# Kinds of message the customer reads: cut to what the channel takes rather than refused whole.
CUSTOMER_FACING = ("auto_reply", "agent_reply", "survey")


class Delivery(SlaClocks):
    """Outbound messages shaped for the channel, rendered templates, and CRM write-back."""

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
    ) -> str | None:
        """Send through the channel: None when delivered, else why it failed for good."""
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
        if self._local_io():
            try:
                await workflow.execute_local_activity_method(
                    Channels.deliver_message, message, **LOCAL_DELIVERY
                )
                return None
            except ACTIVITY_FAILURES as exc:
                if not retryable(exc):
                    return f"delivery failed: {cause(exc)}"
                # The channel is down or slow: the normal activity retries it, same key.
        self._publish_attributes()  # the task completes while a normal activity runs
        try:
            await workflow.execute_activity_method(Channels.deliver_message, message, **DELIVERY)
        except ActivityError as exc:
            return f"delivery failed: {cause(exc)}"
        return None

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
        self._publish_attributes()  # the task completes while a normal activity runs
        try:
            await workflow.execute_activity_method(Crm.crm_write, change, **CRM_WRITE)
        except ActivityError as exc:
            return ActionResult("failed", f"CRM write failed: {cause(exc)}")
        return ActionResult()

    def _template(self, name: str, context: dict[str, Any]) -> tuple[str, str]:
        """(language, rendered text) of a pack template, in the conversation's language if it has it.

        Dates and times in it read in that language and in the time zone of the calendar the rules
        see (`business_hours.*`), UTC when the pack has none. Babel reads its locale data (and
        zoneinfo its zone) from files the first time a worker process uses them; the sandbox forbids
        `open`, so rendering runs unrestricted: the files are read-only data of pinned packages, the
        text depends only on the template and the context, never on time or state outside history.
        """
        lang, text = choose_text(
            self.pack.templates[name],
            [self._state.language, context.get("customer", {}).get("language")],
            self.pack.meta.language,
        )
        calendar = self._calendar_name()
        zone = self.pack.calendars.get(calendar, {}).get("timezone") if calendar else None
        with workflow.unsafe.sandbox_unrestricted():
            return lang, render(text, context, language=lang, zone=zone)

    def _template_text(self, name: str, context: dict[str, Any]) -> str | None:
        return self._template(name, context)[1] if name in self.pack.templates else None

    def _outside_free_form_window(self) -> bool:
        """WhatsApp-style channels take only approved templates this long after the customer wrote."""
        hours = CHANNEL_CAPABILITIES[self._state.channel.value].free_form_window_hours
        last = self._state.last_customer_message_at
        return hours is not None and last is not None and workflow.now() - last > timedelta(hours=hours)
