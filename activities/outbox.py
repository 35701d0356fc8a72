"""The local outbox channel: one row per outbound message in the control-plane database (table
outbox), delivered at most once per key.

It is what `make run` uses instead of a real channel, and the model every adapter follows: the
idempotency key is unique in the table, so a retried activity, a second worker on another host, or a
replayed event never adds the same message twice (the INSERT that loses does nothing).

Under embedded defaults the rows are mirrored to a JSONL file in the data directory, so README's
`tail -f data/outbox.jsonl` walk-through keeps working. The mirror line is appended after the row is
committed: the table is the truth, and a worker killed in between leaves the mirror one line short
rather than the outbox holding a message twice.

Concurrent conversations' messages are inserted together, one transaction (and one mirror append)
for all of them (engine/db/group_commit.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.contracts.outbound import DeliveryResult, OutboundMessage
from engine.db.group_commit import GroupCommit
from engine.db.inserts import insert_or_ignore
from engine.db.outbox_mirror import append_lines
from engine.db.schema import outbox


class Outbox:
    def __init__(self, database: AsyncEngine, mirror: Path | None = None) -> None:
        self._database = database
        self.mirror = mirror
        self._writes = GroupCommit(self._insert)

    async def deliver(self, message: OutboundMessage) -> DeliveryResult:
        inserted = await self._writes.write(message)
        return DeliveryResult(idempotency_key=message.idempotency_key, delivered=inserted)

    async def _insert(self, messages: Sequence[OutboundMessage]) -> list[bool]:
        """Each message's row unless its key is there; True for those this call inserted."""
        delivered_at = datetime.now(UTC)
        records = [message.model_dump(mode="json") for message in messages]
        rows = [
            {
                "idempotency_key": message.idempotency_key,
                "tenant": message.tenant,
                "conversation_id": message.conversation_id,
                "channel": message.channel,
                "kind": message.kind,
                "message": record,
                "delivered_at": delivered_at,
            }
            for message, record in zip(messages, records, strict=True)
        ]
        async with self._database.begin() as connection:
            statement = insert_or_ignore(connection, outbox).returning(outbox.c.idempotency_key)
            new = set((await connection.execute(statement, rows)).scalars())
        # A key twice in one write is one row: the first message with it is the one inserted.
        inserted = []
        for message in messages:
            inserted.append(message.idempotency_key in new)
            new.discard(message.idempotency_key)
        if self.mirror is not None and any(inserted):
            lines = [
                {**record, "delivered_at": delivered_at.isoformat()}
                for record, first in zip(records, inserted, strict=True)
                if first
            ]
            await asyncio.to_thread(append_lines, self.mirror, lines)
        return inserted

    async def read_all(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """Every delivered message (of one tenant, or all), oldest first, as the mirror holds it."""
        query = select(outbox.c.message, outbox.c.delivered_at).order_by(outbox.c.seq)
        if tenant is not None:
            query = query.where(outbox.c.tenant == tenant)
        async with self._database.connect() as connection:
            rows = (await connection.execute(query)).all()
        return [{**row.message, "delivered_at": aware(row.delivered_at).isoformat()} for row in rows]


def aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; we only ever write UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
