"""A data subject's requests (GDPR articles 15 and 17): a customer's conversations found by their
address, and erased from every store.

A privacy officer asked for one customer's data could only page every conversation of the tenant
and read each one, and nothing could erase it: deleting a workflow by hand left the replies sent,
the CRM's notes, the KPI facts and the events delivered. Here a customer is named by their
addresses (an email, a phone number in any written form, a chat handle): the customer index
(engine/db/customer_index.py) gives their conversations, the local CRM their contacts.

An erasure asks whose each conversation is and closes each running one (its agent's seat is freed,
as at any close) before deleting anything, then deletes every run of its workflow from Temporal and
waits until they are gone, then the embedded outbox mirror's lines and the database's rows in one
transaction (engine/db/erasure.py). What is kept is the erasure's record, with the addresses'
digests (pseudonymous, not anonymous: customer_index.py). A REST CRM is the tenant's own system:
what it holds is theirs to erase.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from engine.api.conversation_calls import current_state
from engine.contracts.conversation import Status, conversation_workflow_id
from engine.contracts.helpdesk_actions import StatusChange
from engine.contracts.phone_numbers import e164
from engine.db.crm_lookups import contacts_of
from engine.db.customer_index import (
    HANDLE,
    CustomerConversation,
    CustomerIndex,
    indexed_form,
    plain,
    wanted_forms,
)
from engine.db.erasure import erase_rows
from engine.db.mail_quarantine import MailQuarantine
from engine.db.outbox_mirror import remove_from_mirror
from engine.service.audit_bundle import CONVERSATION_TYPE, conversations
from engine.service.config import Settings
from engine.service.run_deletion import delete_runs, gone_or_begun
from workflows.conversation.workflow import ConversationWorkflow

MAX_ADDRESSES = 20
MAX_HEADER_BYTES = 256 * 1024  # a held mail's headers are read no further
QUARANTINE_PAGE = 500
CLOSE_DEADLINE = timedelta(seconds=10)
ERASED_BY = "erasure"


class CustomerRequestError(ValueError):
    """A request that cannot be served as asked (no address, too many)."""


@dataclass
class CustomerRecords:
    """What the stores hold of one customer: their conversations and their local CRM contacts."""

    conversations: list[CustomerConversation]
    contacts: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    """Quarantined mail from the customer not released into a conversation (its sender is sealed)."""

    def shown(self) -> dict[str, Any]:
        return {
            "conversations": [
                {"conversation_id": c.conversation_id, "channel": c.channel, "first_seen_at": c.first_seen_at}
                for c in self.conversations
            ],
            "crm_contacts": self.contacts,
            "quarantined_mail": self.quarantined,
        }


WRITTEN_AS_A_NUMBER = re.compile(r"[\d\s()+\-./]{5,}")  # a phone number, not a chat handle
INDEX_MARGIN = timedelta(minutes=1)  # a conversation begins a moment before the API indexes its sender


class NationalNumber(CustomerRequestError):
    """A number without its country code: it matches no indexed number."""


def _unmarked_number(text: str) -> bool:
    """Digits written without `+` or `00` and not marked as a handle: a national number, a WhatsApp
    number, a chat handle of digits? Nothing tells."""
    return (
        "@" not in text
        and not text.lower().startswith(HANDLE)
        and WRITTEN_AS_A_NUMBER.fullmatch(text) is not None
        and not text.startswith(("+", "00"))
    )


def address_notes(addresses: Sequence[str]) -> list[str]:
    """What the search did with digits written without `+` or `00` (it names the address by its
    place, never by what it says: an erasure keeps its notes)."""
    notes = []
    for n, address in enumerate(addresses):
        text = plain(address)
        if not _unmarked_number(text):
            continue
        if e164(text) is None:
            notes.append(
                f"addresses[{n}] is no international number (+ and country code): it matches no phone "
                "number, only a chat handle written so"
            )
        else:
            notes.append(
                f"addresses[{n}] was read both as a chat handle and as an international number (its "
                "digits taken to begin with a country code); a national number matches nothing: write "
                "it with + and its country code"
            )
    return notes


def national_numbers(addresses: Sequence[str]) -> None:
    """NationalNumber naming the first address an erasure cannot take as written: digits without
    `+` or `00` may be a national number (matching nothing, or another country's), a number as
    WhatsApp writes it, or a chat handle; an erasure deletes for good, so it is told which."""
    for n, address in enumerate(addresses):
        if _unmarked_number(plain(address)):
            raise NationalNumber(
                f"addresses[{n}] is digits without + or 00: write a phone number with + and its country "
                f"code, a chat or social handle of digits as {HANDLE}<handle>"
            )


async def index_note(client: Client, database: AsyncEngine, tenant: str) -> str | None:
    """Said when Temporal holds a conversation begun before the tenant's first indexed one: the
    index was not filled after the upgrade that brought it (`convoflow customer index`)."""
    earliest = await CustomerIndex(database).earliest(tenant)
    query = f"WorkflowType = '{CONVERSATION_TYPE}' AND ConvoTenant = '{tenant}'"
    if earliest is not None:
        query += f" AND ConvoCreatedAt < '{(earliest - INDEX_MARGIN).astimezone(UTC).isoformat()}'"
    async for _ in client.list_workflows(query, limit=1):
        return (
            f"tenant {tenant} has conversations begun before its customer index: they are found once "
            f"`convoflow customer index --tenant {tenant}` has run"
        )
    return None


def checked(addresses: Sequence[str]) -> list[str]:
    named = [a.strip() for a in addresses if a and a.strip()]
    if not named:
        raise CustomerRequestError("name at least one address of the customer (email, phone or handle)")
    if len(named) > MAX_ADDRESSES:
        raise CustomerRequestError(f"at most {MAX_ADDRESSES} addresses in one request")
    return named


async def find(
    database: AsyncEngine, quarantine: MailQuarantine, tenant: str, addresses: Sequence[str]
) -> CustomerRecords:
    named = checked(addresses)
    found = await CustomerIndex(database).conversations_of(tenant, named)
    contacts: dict[str, None] = {}
    for address in named:
        contacts.update(dict.fromkeys(await contacts_of(database, tenant, address)))
    return CustomerRecords(found, list(contacts), await _quarantined(quarantine, tenant, named))


async def _quarantined(quarantine: MailQuarantine, tenant: str, addresses: list[str]) -> list[str]:
    """Held mail whose sender is one of the addresses: its summary is opened to be compared."""
    wanted, found = wanted_forms(addresses), []
    after: tuple[str, str] | None = None
    while items := await quarantine.page(tenant, limit=QUARANTINE_PAGE, after=after, released=False):
        for item in items:
            sender = item.summary.get("sender") or await _from_of_raw(quarantine, tenant, item.quarantine_id)
            if sender and indexed_form(str(sender), "email") in wanted:
                found.append(item.quarantine_id)
        if len(items) < QUARANTINE_PAGE:
            break
        after = (items[-1].received_at.isoformat(), items[-1].quarantine_id)
    return found


async def _from_of_raw(quarantine: MailQuarantine, tenant: str, quarantine_id: str) -> str | None:
    """The From address of a held mail the parser could not read (its summary names no sender: a
    9 KB subject, a broken MIME part): its headers alone are read, leniently."""
    item = await quarantine.get(tenant, quarantine_id, with_raw=True)
    if item is None or item.raw is None:
        return None
    headers = BytesHeaderParser(policy=compat32).parsebytes(item.raw[:MAX_HEADER_BYTES])
    return parseaddr(str(headers.get("From", "")))[1] or None


class ErasureBlocked(RuntimeError):
    """Nothing was erased: a conversation's worker did not answer (its owner or its close)."""


async def erase(
    client: Client,
    database: AsyncEngine,
    quarantine: MailQuarantine,
    settings: Settings,
    tenant: str,
    addresses: Sequence[str],
    actor: str | None = None,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """Everything the stores hold of the customer, removed; the erasure's record (no address in it),
    with what it left and why (`notes`: what the search could not do as asked).

    Whose conversation it is is asked first, and every running one is closed, before anything is
    deleted: a worker that does not answer stops the erasure with nothing erased (ErasureBlocked),
    not half of it. A conversation the customer only wrote into (another customer's chat) is
    another person's record: named in the answer (`written_into_others`), not erased.
    """
    named = checked(addresses)
    wanted = wanted_forms(named)
    records = await find(database, quarantine, tenant, named)
    began = datetime.now(UTC)
    owners = await whose(client, tenant, records.conversations)
    own = [c.conversation_id for c in records.conversations if theirs(owners, c, wanted)]
    others = [c.conversation_id for c in records.conversations if not theirs(owners, c, wanted)]
    for conversation in own:
        await _close(client, tenant, conversation)
    runs = 0
    for conversation in own:
        runs += await delete_runs(client, tenant, conversation)
    # Temporal deletes a run a moment after it is asked to: until then its worker may still take a
    # message (a thread begun after the close) and write its rows. The rows go once every run is gone.
    again = [c for c in own if await gone_or_begun(client, tenant, c, began)]
    # Embedded defaults mirror the outbox to a file of the data directory as well.
    workflows = {conversation_workflow_id(tenant, c) for c in own}
    mirrored = await asyncio.to_thread(remove_from_mirror, settings.outbox_path, workflows)
    record = await erase_rows(
        database,
        tenant,
        own,
        records.contacts,
        records.quarantined,
        named,
        actor=actor,
        removed={"temporal_runs": runs, "outbox_mirror_lines": mirrored},
        details={"written_into_others": others, "began_again": again, "notes": list(notes)},
    )
    # Begun anew by a message meanwhile: its row went with the others; indexed again, so the next
    # request (the answer says to run one) finds it.
    channels = {c.conversation_id: c.channel for c in records.conversations}
    for conversation in again:
        if (address := owners.get(conversation)) is not None:
            await CustomerIndex(database).add(
                tenant, address, conversation, channels[conversation], created=True
            )
    return record


async def whose(client: Client, tenant: str, found: Sequence[CustomerConversation]) -> dict[str, str]:
    """Each conversation's customer's address (those Temporal no longer has are left out);
    ErasureBlocked when a worker does not answer."""
    owners = {}
    for conversation in found:
        owner = await _owner(client, tenant, conversation.conversation_id)
        if owner is not None:
            owners[conversation.conversation_id] = owner
    return owners


def theirs(owners: dict[str, str], conversation: CustomerConversation, wanted: set[str]) -> bool:
    """Whether the conversation is the customer's own (not another's they wrote into)."""
    owner = owners.get(conversation.conversation_id)
    return owner is None or indexed_form(owner, conversation.channel) in wanted


async def _owner(client: Client, tenant: str, conversation: str) -> str | None:
    """The conversation's customer's address; None when Temporal no longer has it."""
    handle = client.get_workflow_handle_for(
        ConversationWorkflow.run, conversation_workflow_id(tenant, conversation)
    )
    try:
        return (await current_state(handle, CLOSE_DEADLINE)).customer.address
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise ErasureBlocked(
            f"conversation {conversation}: Temporal did not answer ({exc.status.name})"
        ) from None
    except WorkflowQueryFailedError:
        raise ErasureBlocked(f"conversation {conversation}: no worker answered its query") from None


async def _close(client: Client, tenant: str, conversation: str) -> None:
    """Closed as an agent closes it: the desk frees its agent's seat or its queue place (a deleted
    workflow tells nobody)."""
    handle = client.get_workflow_handle_for(
        ConversationWorkflow.run, conversation_workflow_id(tenant, conversation)
    )
    try:
        if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
            return
        close = StatusChange(status=Status.CLOSED, actor=ERASED_BY)
        await handle.execute_update(ConversationWorkflow.change_status, close, rpc_timeout=CLOSE_DEADLINE)
    except WorkflowUpdateFailedError:
        return  # refused: closed already
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:  # deleted already: an erasure run again
            return
        raise ErasureBlocked(f"conversation {conversation}: no worker closed it in time") from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise ErasureBlocked(f"conversation {conversation}: no worker closed it in time") from None


async def index(client: Client, database: AsyncEngine, tenant: str) -> tuple[int, list[str]]:
    """The customer index filled from the tenant's conversations as Temporal holds them (those begun
    before there was an index, or whose row a crash left unwritten): each conversation's customer (a
    later sender into it is indexed as they write). The number indexed, and those that did not
    answer (run it again for them: one failing query stopped every later one)."""
    customers = CustomerIndex(database)
    count, unanswered = 0, []
    for conversation in await conversations(client, tenant):
        handle = client.get_workflow_handle_for(
            ConversationWorkflow.run, conversation_workflow_id(tenant, conversation)
        )
        try:
            state = await current_state(handle, CLOSE_DEADLINE)
        except (RPCError, WorkflowQueryFailedError):
            unanswered.append(conversation)
            continue
        await customers.add(
            tenant, state.customer.address, conversation, state.channel.value, state.created_at
        )
        count += 1
    return count, unanswered
