"""ConversationWorkflow: one durable workflow per customer conversation.

Integrators send events as updates, so a caller learns synchronously whether its message was new or a
duplicate and what sequence number it got. Events are handled one at a time under a lock: the order
of events is the order of history, which is what makes every decision replayable. Every side effect
is an activity whose idempotency key is `{workflow id}:{event seq}:{action index}`.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.outbound import OutboundMessage
    from workflows import search_attributes as sa
    from workflows.conversation_models import (
        AgentReply,
        ConversationStart,
        ConversationState,
        EventReceipt,
        InboundMessage,
        Party,
        Status,
        StatusChange,
    )

DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
)
DELIVERY_TIMEOUT = timedelta(seconds=30)

ACKNOWLEDGEMENT_TEXT = (
    "Thank you for contacting us. We have received your message and will reply as soon as we can. "
    "Your reference: {reference}"
)


@workflow.defn
class ConversationWorkflow:
    @workflow.init
    def __init__(self, start: ConversationStart) -> None:
        if start.carried is not None:
            self._state = start.carried
            self._state.runs += 1
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
            )
        self._seen = set(self._state.seen_message_ids)
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, start: ConversationStart) -> ConversationState:
        async with self._lock:
            await self._ensure_created()
        await workflow.wait_condition(
            lambda: self._state.status is Status.CLOSED or workflow.info().is_continue_as_new_suggested()
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._state.status is not Status.CLOSED:
            self._state.seen_message_ids = sorted(self._seen)
            workflow.continue_as_new(
                ConversationStart(
                    tenant=self._state.tenant,
                    external_id=self._state.external_id,
                    channel=self._state.channel,
                    customer=self._state.customer,
                    carried=self._state,
                )
            )
        return self._state

    # -- events from integrators -------------------------------------------------------------

    @workflow.update
    async def receive_message(self, message: InboundMessage) -> EventReceipt:
        # Recorded before the first await, so a concurrent twin already sees it as a duplicate.
        if message.message_id in self._seen:
            return self._receipt(self._state.event_seq, duplicate=True)
        self._seen.add(message.message_id)
        async with self._lock:
            await self._ensure_created()
            seq = self._next_event()
            at = message.received_at or workflow.now()
            self._state.customer_messages += 1
            self._state.first_customer_message_at = self._state.first_customer_message_at or at
            self._state.last_customer_message_at = at
            self._upsert_search_attributes()
            # The first customer message is the one that started the workflow (update-with-start).
            return self._receipt(seq, created=self._state.customer_messages == 1)

    @receive_message.validator
    def _validate_receive_message(self, message: InboundMessage) -> None:
        self._reject_when_closed()

    @workflow.update
    async def post_reply(self, reply: AgentReply) -> EventReceipt:
        if reply.message_id is not None:
            if reply.message_id in self._seen:
                return self._receipt(self._state.event_seq, duplicate=True)
            self._seen.add(reply.message_id)
        async with self._lock:
            await self._ensure_created()
            seq = self._next_event()
            self._state.agent_messages += 1
            self._state.first_agent_reply_at = self._state.first_agent_reply_at or workflow.now()
            await self._deliver(seq, 0, kind="agent_reply", text=reply.text, to=self._state.customer)
            self._upsert_search_attributes()
            return self._receipt(seq)

    @post_reply.validator
    def _validate_post_reply(self, reply: AgentReply) -> None:
        self._reject_when_closed()

    @workflow.update
    async def change_status(self, change: StatusChange) -> EventReceipt:
        async with self._lock:
            await self._ensure_created()
            seq = self._next_event()
            self._state.status = change.status
            self._upsert_search_attributes()
            return self._receipt(seq)

    @change_status.validator
    def _validate_change_status(self, change: StatusChange) -> None:
        self._reject_when_closed()

    @workflow.query
    def state(self) -> ConversationState:
        return self._state

    # -- what the workflow does --------------------------------------------------------------

    async def _ensure_created(self) -> None:
        """conversation.created is always event 1, whichever handler runs first (call under lock)."""
        if self._state.created_handled:
            return
        seq = self._next_event()
        text = ACKNOWLEDGEMENT_TEXT.format(reference=self._state.external_id)
        await self._deliver(seq, 0, kind="acknowledgement", text=text, to=self._state.customer)
        self._state.created_handled = True
        self._upsert_search_attributes()

    async def _deliver(self, seq: int, action_index: int, *, kind: str, text: str, to: Party) -> None:
        message = OutboundMessage(
            idempotency_key=f"{self._state.conversation_id}:{seq}:{action_index}",
            conversation_id=self._state.conversation_id,
            tenant=self._state.tenant,
            channel=self._state.channel.value,
            to=to.address,
            kind=kind,
            text=text,
        )
        await workflow.execute_activity(
            "deliver_message",
            message,
            start_to_close_timeout=DELIVERY_TIMEOUT,
            retry_policy=DELIVERY_RETRY,
        )

    def _next_event(self) -> int:
        self._state.event_seq += 1
        self._state.updated_at = workflow.now()
        return self._state.event_seq

    def _receipt(self, seq: int, *, duplicate: bool = False, created: bool = False) -> EventReceipt:
        return EventReceipt(
            conversation_id=self._state.conversation_id,
            seq=seq,
            duplicate=duplicate,
            created=created,
            status=self._state.status,
        )

    def _reject_when_closed(self) -> None:
        if self._state.status is Status.CLOSED:
            raise ApplicationError("conversation is closed", type="ConversationClosed")

    def _upsert_search_attributes(self) -> None:
        s = self._state
        updates = [
            sa.TENANT.value_set(s.tenant),
            sa.STATUS.value_set(s.status.value),
            sa.CHANNEL.value_set(s.channel.value),
            sa.CREATED_AT.value_set(s.created_at),
            sa.LAST_ACTIVITY_AT.value_set(s.updated_at),
        ]
        if s.first_agent_reply_at is not None:
            updates.append(sa.FIRST_AGENT_REPLY_AT.value_set(s.first_agent_reply_at))
        workflow.upsert_search_attributes(updates)
