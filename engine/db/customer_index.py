"""Which conversations are a customer's, found by their address without the index holding it.

The API writes a row for every sender into a conversation (and `convoflow customer index` for the
conversations begun before there was an index); a data subject's request reads them back by any
written form of the address. The row holds a digest of the tenant and the address in the form its
channel compares it in: an email in lower case, an SMS or WhatsApp number as E.164, a chat or social
handle as written (lower case, marked as a handle: a chat handle of digits is nobody's phone number).
Unicode is composed first (a decomposed `u\u0308` is `ü`), and only lower-cased, never case-folded
(`straße@` and `strasse@` are two mailboxes). Pseudonymous, not anonymous (an unkeyed SHA-256:
whoever holds the database can confirm a guessed address).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.contracts.customer_address import HANDLE, indexed_form, plain
from engine.contracts.phone_numbers import e164
from engine.db.inserts import insert_or_ignore
from engine.db.schema import customer_conversations


def searched_forms(address: str) -> set[str]:
    """Every form a searched address may have been indexed under (it names no channel); one
    written `handle:<handle>` is that handle alone."""
    text = plain(address)
    if text.lower().startswith(HANDLE):
        return {HANDLE + text[len(HANDLE) :].strip().lower()}
    # The bare lower-case form is an email's, and every handle's in rows written before handles were
    # marked (a new row's digest never has it unless it is an email's).
    forms = {HANDLE + text.lower(), text.lower()}
    if (number := e164(text)) is not None:
        forms.add(number)
    return forms


def wanted_forms(addresses: Iterable[str]) -> set[str]:
    return {form for address in addresses for form in searched_forms(address)}


def customer_key(tenant: str, form: str) -> str:
    """The digest of a form (an email's and a number's as rows before handles were marked)."""
    return hashlib.sha256(f"{tenant}\x00{form}".encode("utf-8", "surrogateescape")).hexdigest()


def customer_keys(tenant: str, addresses: Iterable[str]) -> list[str]:
    return sorted({customer_key(tenant, form) for form in wanted_forms(addresses)})


@dataclass(frozen=True)
class CustomerConversation:
    conversation_id: str
    channel: str
    first_seen_at: datetime


# Rows this process wrote or found already there: a conversation's next messages (the same sender,
# mostly) cost no write. Bounded: the oldest are forgotten, and written again at worst (idempotent).
REMEMBERED = 50_000


class CustomerIndex:
    def __init__(self, database: AsyncEngine) -> None:
        self._database = database
        self._written: OrderedDict[tuple[str, str, str], None] = OrderedDict()

    async def add(
        self,
        tenant: str,
        address: str,
        conversation_id: str,
        channel: str,
        seen: datetime | None = None,
        *,
        created: bool = False,
    ) -> None:
        """Idempotent: a conversation is a customer's once, from when it was first seen (`seen`: when
        it began, for one indexed afterwards). `created`: the message began the conversation, written
        whatever this process remembers (an erased conversation's id may begin another)."""
        key = customer_key(tenant, indexed_form(address, channel))
        if not created and (tenant, key, conversation_id) in self._written:
            return
        row = {
            "tenant": tenant,
            "customer_key": key,
            "conversation_id": conversation_id,
            "channel": channel,
            "first_seen_at": seen or datetime.now(UTC),
        }
        async with self._database.begin() as connection:
            await connection.execute(insert_or_ignore(connection, customer_conversations), [row])
        self._written[(tenant, key, conversation_id)] = None
        if len(self._written) > REMEMBERED:
            self._written.popitem(last=False)

    async def earliest(self, tenant: str) -> datetime | None:
        """When the tenant's first indexed conversation was first seen; None for an empty index."""
        c = customer_conversations.c
        statement = select(func.min(c.first_seen_at)).where(c.tenant == tenant)
        async with self._database.connect() as connection:
            return (await connection.execute(statement)).scalar_one_or_none()

    async def conversations_of(self, tenant: str, addresses: Iterable[str]) -> list[CustomerConversation]:
        """Every conversation of any of the addresses, oldest first."""
        keys = customer_keys(tenant, addresses)
        c = customer_conversations.c
        statement = (
            select(c.conversation_id, c.channel, c.first_seen_at)
            .where(c.tenant == tenant, c.customer_key.in_(keys))
            .order_by(c.first_seen_at, c.conversation_id)
        )
        async with self._database.connect() as connection:
            rows = (await connection.execute(statement)).all()
        seen: dict[str, CustomerConversation] = {}
        for row in rows:
            seen.setdefault(row.conversation_id, CustomerConversation(*row))
        return list(seen.values())
