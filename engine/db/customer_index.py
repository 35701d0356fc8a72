"""Which conversations are a customer's, found by their address without the index holding it.

The API writes a row for every sender into a conversation (and `convoflow customer index` for the
conversations begun before there was an index); a data subject's request reads them back by any
written form of the address. The row holds a digest of the tenant and the address as compared (an
email in lower case, a phone number as E.164), as inbound_seen.sender_key does: pseudonymous, not
anonymous (an unkeyed SHA-256: whoever holds the database can confirm a guessed address).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.contracts.phone_numbers import e164
from engine.db.inserts import insert_or_ignore
from engine.db.schema import customer_conversations


def compared(address: str) -> str:
    """The address as two written forms of it compare: a number's E.164, anything else folded."""
    return e164(address) or address.strip().casefold()


def customer_key(tenant: str, address: str) -> str:
    return hashlib.sha256(f"{tenant}\x00{compared(address)}".encode("utf-8", "surrogateescape")).hexdigest()


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
        key = customer_key(tenant, address)
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

    async def holds_any(self, tenant: str) -> bool:
        statement = (
            select(customer_conversations.c.tenant).where(customer_conversations.c.tenant == tenant).limit(1)
        )
        async with self._database.connect() as connection:
            return (await connection.execute(statement)).first() is not None

    async def conversations_of(self, tenant: str, addresses: Iterable[str]) -> list[CustomerConversation]:
        """Every conversation of any of the addresses, oldest first."""
        keys = sorted({customer_key(tenant, a) for a in addresses})
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
