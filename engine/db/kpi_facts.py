"""The KPI projection's table: facts written insert-or-ignore, read per tenant for reports.

A fact's primary key is (tenant, conversation, life, seq, part), so the workflow's local activity
retried, or a rebuild over rows that are already there, never counts an event twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.contracts.kpi import KpiFact
from engine.db.schema import kpi_facts

# Rows per INSERT statement: well under SQLite's 32,766 bound parameters (9 per row).
CHUNK = 1_000


def _aware(when: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _row(fact: KpiFact) -> dict[str, Any]:
    return fact.model_dump()


def _fact(row: Row[Any]) -> KpiFact:
    return KpiFact(
        tenant=row.tenant,
        conversation_id=row.conversation_id,
        life_id=row.life_id,
        thread=row.thread,
        seq=row.seq,
        part=row.part,
        kind=row.kind,
        at=_aware(row.at),
        data=row.data,
    )


class KpiFactStore:
    """Facts over the process's pooled control-plane engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, facts: Sequence[KpiFact]) -> int:
        """Insert the facts that are new; returns how many were."""
        if not facts:
            return 0
        added = 0
        async with self._engine.begin() as connection:
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            for start in range(0, len(facts), CHUNK):
                rows = [_row(f) for f in facts[start : start + CHUNK]]
                statement = (
                    dialect.insert(kpi_facts).values(rows).on_conflict_do_nothing().returning(kpi_facts.c.seq)
                )
                added += len((await connection.execute(statement)).all())
        return added

    async def replace(self, tenant: str, conversations: Iterable[str], facts: Sequence[KpiFact]) -> int:
        """A rebuild: the conversations' facts become exactly `facts` (one transaction per call)."""
        wanted = sorted(set(conversations))
        async with self._engine.begin() as connection:
            for start in range(0, len(wanted), CHUNK):
                await connection.execute(
                    delete(kpi_facts).where(
                        kpi_facts.c.tenant == tenant,
                        kpi_facts.c.conversation_id.in_(wanted[start : start + CHUNK]),
                    )
                )
            dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
            for start in range(0, len(facts), CHUNK):
                rows = [_row(f) for f in facts[start : start + CHUNK]]
                await connection.execute(dialect.insert(kpi_facts).values(rows).on_conflict_do_nothing())
        return len(facts)

    async def facts(
        self, tenant: str, *, before: datetime | None = None, conversations: Sequence[str] | None = None
    ) -> list[KpiFact]:
        """The tenant's facts (before an instant, of some conversations), in event order."""
        query = select(kpi_facts).where(kpi_facts.c.tenant == tenant)
        if before is not None:
            query = query.where(kpi_facts.c.at < before)
        if conversations is not None:
            query = query.where(kpi_facts.c.conversation_id.in_(list(conversations)))
        query = query.order_by(
            kpi_facts.c.conversation_id, kpi_facts.c.life_id, kpi_facts.c.seq, kpi_facts.c.part
        )
        async with self._engine.connect() as connection:
            return [_fact(row) for row in await connection.execute(query)]

    async def count(self, tenant: str, *, before: datetime | None = None) -> int:
        """How many facts the tenant has (the benchmark's baseline query)."""
        query = select(func.count()).select_from(kpi_facts).where(kpi_facts.c.tenant == tenant)
        if before is not None:
            query = query.where(kpi_facts.c.at < before)
        async with self._engine.connect() as connection:
            return int((await connection.execute(query)).scalar_one())

    async def keys(self, tenant: str) -> set[tuple[str, str, int, int]]:
        """Every fact's identity, for comparisons (the rebuild test)."""
        c = kpi_facts.c
        query = select(c.conversation_id, c.life_id, c.seq, c.part).where(c.tenant == tenant)
        async with self._engine.connect() as connection:
            return {(r[0], r[1], r[2], r[3]) for r in await connection.execute(query)}
