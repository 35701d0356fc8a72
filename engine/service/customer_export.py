"""A customer's data as the right of access (GDPR article 15) asks for it, in one document.

The audit bundle is the auditor's: it holds what the rules read, not what an agent wrote back or a
survey's comment (helper-109). This reads each of the customer's conversations from Temporal as it
was recorded: every message the customer sent, every reply an agent posted, every survey answer
(the updates' inputs, decrypted by the client's codec), every message the workflow sent through a
channel when the send's input is in history (a send's first, local attempt records only its outcome:
those are named by the trail's template and, on the local outbox channel, by their text), and the
conversation as it stands (status, team, agent, tags, the CRM record found, its threads). The local
CRM's contacts and the notes and fields written to them come from the database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.converter import DataConverter, WorkflowSerializationContext

from engine.api.conversation_calls import current_state
from engine.contracts.activities import DELIVER_MESSAGE
from engine.contracts.conversation import InboundMessage, conversation_workflow_id
from engine.contracts.helpdesk_actions import AgentReply, SurveyAnswer
from engine.contracts.outbound import OutboundMessage
from engine.db.customer_index import indexed_form, wanted_forms
from engine.db.mail_quarantine import MailQuarantine
from engine.db.schema import crm_contacts, crm_writes, outbox
from engine.service.audit_bundle import ConversationNotFound, run_ids
from engine.service.customer_requests import CLOSE_DEADLINE, CustomerRecords
from workflows.conversation.workflow import ConversationWorkflow

# The updates whose input is what a person wrote, and whose it is.
WRITTEN: dict[str, tuple[str, type[BaseModel]]] = {
    "receive_message": ("customer", InboundMessage),
    "receive_message_decided": ("customer", InboundMessage),
    "post_reply": ("agent", AgentReply),
    "complete_survey": ("survey answer", SurveyAnswer),
}


async def export(
    client: Client,
    database: AsyncEngine,
    quarantine: MailQuarantine,
    tenant: str,
    records: CustomerRecords,
    addresses: list[str],
) -> dict[str, Any]:
    """`addresses`: the customer's; a message another sender wrote into one of their conversations is
    that person's data, left out (and counted)."""
    wanted = wanted_forms(addresses)
    conversations = []
    for found in records.conversations:
        try:
            conversations.append(await _conversation(client, database, tenant, found.conversation_id, wanted))
        except ConversationNotFound:
            conversations.append({"conversation_id": found.conversation_id, "gone": "no longer in Temporal"})
    return {
        "tenant": tenant,
        "exported_at": datetime.now(UTC).isoformat(),
        "conversations": conversations,
        "crm_contacts": await _contacts(database, tenant, records.contacts),
        "quarantined_mail": [await _held(quarantine, tenant, q) for q in records.quarantined],
    }


async def _held(quarantine: MailQuarantine, tenant: str, quarantine_id: str) -> dict[str, Any]:
    """A held mail as ops read it: why, when, and what it said (sender, subject, text, attachments)."""
    item = await quarantine.get(tenant, quarantine_id, with_raw=True)
    if item is None:
        return {"id": quarantine_id, "gone": "expired or deleted meanwhile"}
    shown = {"id": item.quarantine_id, "reason": item.reason, "received_at": item.received_at.isoformat()}
    if item.summary.get("sender"):
        return shown | item.summary
    # The parser could not read it (its summary is empty): the mail as it came, theirs to see.
    return shown | {"raw": (item.raw or b"").decode("utf-8", "replace")}


async def _conversation(
    client: Client, database: AsyncEngine, tenant: str, conversation: str, wanted: set[str]
) -> dict[str, Any]:
    workflow_id = conversation_workflow_id(tenant, conversation)
    converter = client.data_converter.with_context(
        WorkflowSerializationContext(namespace=client.namespace, workflow_id=workflow_id)
    )
    handle = client.get_workflow_handle_for(ConversationWorkflow.run, workflow_id)
    state = await current_state(handle, CLOSE_DEADLINE)
    # A conversation they only wrote into is another customer's: their own messages, nothing more
    # (its customer, tags, replies and sends are that person's data).
    theirs = indexed_form(state.customer.address, state.channel.value) in wanted
    messages: list[dict[str, Any]] = []
    withheld, seen = 0, set()
    for run_id in await run_ids(client, workflow_id):
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        for event in history.events:
            if (shown := await _written(converter, event)) is None:
                continue
            if shown["from"] == "customer":
                if indexed_form(shown["sender"]["address"], state.channel.value) not in wanted:
                    withheld += 1
                    continue
                if shown["message_id"] in seen:  # a channel's repeat, recorded as one
                    continue
                seen.add(shown["message_id"])
            elif not theirs:
                continue
            messages.append(shown)
    if not theirs:
        return {
            "conversation_id": conversation,
            "another_customer_s": True,
            "channel": state.channel.value,
            "messages": messages,
        }
    return {
        "conversation_id": conversation,
        "channel": state.channel.value,
        "customer": state.customer.model_dump(mode="json"),
        "status": state.status.value,
        "team": state.team,
        "assignee": state.assignee,
        "tags": state.tags,
        "language": state.language,
        "crm_record": state.customer_profile,
        "threads": [t.model_dump(mode="json") for t in [*state.threads, state.current_thread()]],
        "messages": messages,
        "messages_of_other_senders_left_out": withheld,
        "sent_on_the_local_channel": await _outbox(database, tenant, workflow_id),
    }


async def _written(converter: DataConverter, event: HistoryEvent) -> dict[str, Any] | None:
    at = event.event_time.ToDatetime(tzinfo=UTC).isoformat()
    if event.HasField("workflow_execution_update_accepted_event_attributes"):
        request = event.workflow_execution_update_accepted_event_attributes.accepted_request.input
        if (kind := WRITTEN.get(request.name)) is None:
            return None
        [value] = await converter.decode(request.args.payloads, [kind[1]])
        return {"recorded_at": at, "from": kind[0], **value.model_dump(mode="json", exclude_none=True)}
    attributes = event.activity_task_scheduled_event_attributes
    if (
        event.HasField("activity_task_scheduled_event_attributes")
        and attributes.activity_type.name == DELIVER_MESSAGE
    ):
        [sent] = await converter.decode(attributes.input.payloads, [OutboundMessage])
        shown = sent.model_dump(
            mode="json", include={"kind", "to", "text", "subject", "template", "language"}
        )
        return {"recorded_at": at, "from": "us", **shown}
    return None


async def _outbox(database: AsyncEngine, tenant: str, workflow_id: str) -> list[dict[str, Any]]:
    statement = (
        select(outbox.c.message, outbox.c.delivered_at)
        .where(outbox.c.tenant == tenant, outbox.c.conversation_id == workflow_id)
        .order_by(outbox.c.seq)
    )
    async with database.connect() as connection:
        rows = (await connection.execute(statement)).all()
    return [
        {
            "delivered_at": row.delivered_at.isoformat(),
            **{k: row.message.get(k) for k in ("kind", "to", "text")},
        }
        for row in rows
    ]


async def _contacts(database: AsyncEngine, tenant: str, contacts: list[str]) -> list[dict[str, Any]]:
    if not contacts:
        return []
    async with database.connect() as connection:
        people = (
            await connection.execute(
                select(crm_contacts).where(
                    crm_contacts.c.tenant == tenant, crm_contacts.c.customer_id.in_(contacts)
                )
            )
        ).mappings()
        shown = [{k: v for k, v in row.items() if k != "tenant"} for row in people]
        for contact in shown:
            writes = await connection.execute(
                select(crm_writes.c.field, crm_writes.c.value, crm_writes.c.note, crm_writes.c.written_at)
                .where(crm_writes.c.tenant == tenant, crm_writes.c.customer_id == contact["customer_id"])
                .order_by(crm_writes.c.written_at)
            )
            contact["written"] = [dict(w._mapping) for w in writes]
    return shown
