"""The KPI projection's table: facts written insert-or-ignore, read per tenant for reports.

A fact's primary key is (tenant, conversation, life, seq, part), so the workflow's local activity
retried, or a rebuild over rows that are already there, never counts an event twice. Each write
marks the threads it changed in the same transaction (engine/db/kpi_threads.py), so the next report
measures exactly those again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import String, delete, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.contracts.kpi import KpiFact
from engine.db.inserts import insert_or_ignore
from engine.db.kpi_threads import mark_conversations, mark_threads
from engine.db.schema import kpi_facts

# Rows per INSERT statement: well under SQLite's 32,766 bound parameters (9 per row).
CHUNK = 1_000


def _aware(when: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _row(fact: KpiFact) -> dict[str, Any]:
    return fact.model_dump()


def _identity(fact: KpiFact) -> tuple[str, str, str, int, int]:
    """The table's primary key: a fact given twice is new at most once, to its first caller."""
    return (fact.tenant, fact.conversation_id, fact.life_id, fact.seq, fact.part)


class StoredFact(NamedTuple):
    """A fact as a report reads it: the same attributes as `KpiFact`, without validation (the row was
    validated on its way in; a report reads hundreds of thousands and validating each would be most
    of its time)."""

    tenant: str
    conversation_id: str
    life_id: str
    thread: int
    seq: int
    part: int
    kind: str
    at: datetime
    data: dict[str, Any]

    def model(self) -> KpiFact:
        return KpiFact(**self._asdict())


def _reader(tenant: str) -> Callable[[Any], StoredFact]:
    decoded: dict[str, dict[str, Any]] = {}  # a conversation's facts mostly share one data text

    def read(row: Any) -> StoredFact:
        at = row.at if isinstance(row.at, datetime) else datetime.fromisoformat(row.at)
        data = row.data
        if isinstance(data, str):
            data = decoded.get(data)
            if data is None:
                data = decoded[row.data] = json.loads(row.data)
        return StoredFact(
            tenant,
            row.conversation_id,
            row.life_id,
            row.thread,
            row.seq,
            row.part,
            row.kind,
            _aware(at),
            data,
        )

    return read


async def insert_facts(connection: AsyncConnection, batches: Sequence[Sequence[KpiFact]]) -> list[int]:
    """Within the caller's transaction: insert each batch's facts that are new and mark their threads
    changed; how many of each batch were new (a fact in two batches is new to the first)."""
    owner = {_identity(f): i for i, batch in reversed(list(enumerate(batches))) for f in batch}
    added = [0] * len(batches)
    if not owner:
        return added
    facts = [f for batch in batches for f in batch]
    c = kpi_facts.c
    threads: dict[str, list[tuple[str, str, int]]] = {}
    statement = insert_or_ignore(connection, kpi_facts).returning(
        c.tenant, c.conversation_id, c.life_id, c.thread, c.seq, c.part
    )
    for start in range(0, len(facts), CHUNK):
        rows = [_row(f) for f in facts[start : start + CHUNK]]
        for row in await connection.execute(statement, rows):
            threads.setdefault(row[0], []).append((row[1], row[2], row[3]))
            added[owner[(row[0], row[1], row[2], row[4], row[5])]] += 1
    for tenant, keys in sorted(threads.items()):
        await mark_threads(connection, tenant, keys)
    return added


class KpiFactStore:
    """Facts over the process's pooled control-plane engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, facts: Sequence[KpiFact]) -> int:
        """Insert the facts that are new, and mark their threads changed; returns how many were new."""
        return (await self.add_many([facts]))[0]

    async def add_many(self, batches: Sequence[Sequence[KpiFact]]) -> list[int]:
        """`add` for several callers' facts in one transaction (engine/db/group_commit.py): how many
        of each batch were new."""
        if not any(batches):
            return [0] * len(batches)
        async with self._engine.begin() as connection:
            return await insert_facts(connection, batches)

    async def replace(self, tenant: str, conversations: Iterable[str], facts: Sequence[KpiFact]) -> int:
        """A rebuild: the conversations' facts become exactly `facts` (one transaction per call), and
        every thread of the conversations, before or after, is to be measured again."""
        wanted = sorted(set(conversations))
        async with self._engine.begin() as connection:
            for start in range(0, len(wanted), CHUNK):
                await connection.execute(
                    delete(kpi_facts).where(
                        kpi_facts.c.tenant == tenant,
                        kpi_facts.c.conversation_id.in_(wanted[start : start + CHUNK]),
                    )
                )
            await mark_conversations(connection, tenant, wanted)
            statement = insert_or_ignore(connection, kpi_facts)
            for start in range(0, len(facts), CHUNK):
                await connection.execute(statement, [_row(f) for f in facts[start : start + CHUNK]])
            await mark_threads(connection, tenant, [(f.conversation_id, f.life_id, f.thread) for f in facts])
        return len(facts)

    async def facts(
        self, tenant: str, *, before: datetime | None = None, conversations: Sequence[str] | None = None
    ) -> list[StoredFact]:
        """The tenant's facts (before an instant, of some conversations), in event order."""
        c = kpi_facts.c
        async with self._engine.connect() as connection:
            # SQLite's DateTime and JSON result processing parse with regular expressions and
            # per-row hooks; the text itself parses several times faster (PostgreSQL's are native).
            raw = connection.dialect.name == "sqlite"
            at = type_coerce(c.at, String).label("at") if raw else c.at
            data = type_coerce(c.data, String).label("data") if raw else c.data
            query = select(c.conversation_id, c.life_id, c.thread, c.seq, c.part, c.kind, at, data).where(
                c.tenant == tenant
            )
            if conversations is not None:
                query = query.where(c.conversation_id.in_(list(conversations)))
            elif before is not None:  # SQLite compares the wall time of the value given: in UTC
                query = query.where(c.at < before.astimezone(UTC))
            query = query.order_by(c.conversation_id, c.life_id, c.seq, c.part)
            read = _reader(tenant)
            facts = [read(row) for row in await connection.execute(query)]
        # For some conversations the instant is compared here, not in SQL: with both conditions
        # SQLite's planner (no statistics of value ranges) took the (tenant, at) index and read every
        # fact before the instant to find a few conversations' (0.8 s of a 30,000-conversation report).
        return facts if before is None or conversations is None else [f for f in facts if f.at < before]

    async def count(self, tenant: str, *, before: datetime | None = None) -> int:
        """How many facts the tenant has (the benchmark's baseline query)."""
        query = select(func.count()).select_from(kpi_facts).where(kpi_facts.c.tenant == tenant)
        if before is not None:
            query = query.where(kpi_facts.c.at < before.astimezone(UTC))
        async with self._engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def last_seqs(self, tenant: str, conversations: Sequence[str]) -> dict[tuple[str, str], int]:
        """The last event seq of each (conversation, life) of `conversations` the facts hold."""
        c = kpi_facts.c
        last: dict[tuple[str, str], int] = {}
        async with self._engine.connect() as connection:
            for start in range(0, len(conversations), CHUNK):
                query = (
                    select(c.conversation_id, c.life_id, func.max(c.seq))
                    .where(
                        c.tenant == tenant, c.conversation_id.in_(list(conversations[start : start + CHUNK]))
                    )
                    .group_by(c.conversation_id, c.life_id)
                )
                last.update({(r[0], r[1]): int(r[2]) for r in await connection.execute(query)})
        return last

    async def keys(self, tenant: str) -> set[tuple[str, str, int, int]]:
        """Every fact's identity, for comparisons (the rebuild test)."""
        c = kpi_facts.c
        query = select(c.conversation_id, c.life_id, c.seq, c.part).where(c.tenant == tenant)
        async with self._engine.connect() as connection:
            return {(r[0], r[1], r[2], r[3]) for r in await connection.execute(query)}
