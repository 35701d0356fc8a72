"""Inbound ids already taken (webhook ids, email Message-IDs), per tenant, in the database.

Every API replica shares the table and it survives a restart, so a gateway's retry of a webhook the
service has accepted is answered as a duplicate wherever it lands. An id is remembered only after
the conversation accepted the message (the caller's order), so a retry after a 5xx gets through.

The table is bounded by a retention: the longest a gateway retries (Standard Webhooks senders give
up within days; 7 covers them). Rows older than that no longer count as seen and are deleted
opportunistically, by one replica's remember() in every PURGE_EVERY, with no job to run.

Each row keeps the conversation its message went to: a mail relay's retry does not know which
conversation the service threaded its mail into, and the repeat's answer names it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Literal

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.inserts import insert_new
from engine.db.schema import inbound_seen

Kind = Literal["webhook", "email"]
RETENTION = timedelta(days=7)
PURGE_EVERY = 100


def sender_key(tenant: str, sender: str) -> str:
    """The digest a sender is counted under: per tenant, whatever case the address was written in."""
    return hashlib.sha256(f"{tenant}\x00{sender.lower()}".encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class Seen:
    """An id taken within the retention."""

    conversation_id: str | None
    """Where its message went; None for rows written before the column was."""


class InboundSeen:
    def __init__(self, database: AsyncEngine, retention: timedelta = RETENTION) -> None:
        self._database = database
        self.retention = retention
        self._remembered = count(1)

    async def seen(self, tenant: str, kind: Kind, external_id: str) -> Seen | None:
        """The id, if it was taken within the retention."""
        since = datetime.now(UTC) - self.retention
        async with self._database.connect() as connection:
            found = await connection.execute(
                select(inbound_seen.c.conversation_id).where(
                    inbound_seen.c.tenant == tenant,
                    inbound_seen.c.kind == kind,
                    inbound_seen.c.external_id == external_id,
                    inbound_seen.c.seen_at >= since,
                )
            )
            row = found.first()
            return None if row is None else Seen(conversation_id=row.conversation_id)

    async def remember(
        self, tenant: str, kind: Kind, external_id: str, conversation_id: str, sender: str | None = None
    ) -> None:
        """Record the id as taken now, delivered to `conversation_id` (again, if an expired row of it
        is still there); a mail's `sender` is kept as a digest (`sender_key`), never as written."""
        now = datetime.now(UTC)
        key = {"tenant": tenant, "kind": kind, "external_id": external_id}
        taken = {
            "seen_at": now,
            "conversation_id": conversation_id,
            "sender_key": None if sender is None else sender_key(tenant, sender),
        }
        async with self._database.begin() as connection:
            if not await insert_new(connection, inbound_seen, {**key, **taken}):
                await connection.execute(
                    update(inbound_seen)
                    .where(*(inbound_seen.c[name] == value for name, value in key.items()))
                    .values(**taken)
                )
        if next(self._remembered) % PURGE_EVERY == 0:
            await self.purge()

    async def conversations_from(self, tenant: str, sender: str, since: datetime) -> int:
        """How many of the tenant's conversations mails from `sender` went to since `since`."""
        c = inbound_seen.c
        async with self._database.connect() as connection:
            found = await connection.execute(
                select(func.count(func.distinct(c.conversation_id))).where(
                    c.tenant == tenant, c.sender_key == sender_key(tenant, sender), c.seen_at >= since
                )
            )
            return int(found.scalar_one())

    async def purge(self) -> int:
        """Delete the rows past the retention (of every tenant); how many went."""
        async with self._database.begin() as connection:
            gone = await connection.execute(
                delete(inbound_seen).where(inbound_seen.c.seen_at < datetime.now(UTC) - self.retention)
            )
            return gone.rowcount
