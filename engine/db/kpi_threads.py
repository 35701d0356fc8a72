"""The KPI thread summaries' table: marked when facts change, refreshed by reports, read by period.

Every fact write marks its threads in the same transaction (`mark_threads`: `changes` counts up,
`basis` drops to 0), so the threads to measure again are an index lookup (`stale`), never a
comparison over all facts. A refresh remembers the `changes` it read before reading the facts and
saves only while the row still has that count: a fact written meanwhile leaves the thread stale
for the next report instead of being overwritten by a summary that missed it.

A report reads (`selected`) only the summaries that can matter to [start, end): threads begun in it,
threads begun earlier and not settled by its start (the backlog), and the threads with facts on both
sides of `end`, which the caller measures again from their facts before `end` (a report counts only
facts before `end`, and a summary holds all of a thread's facts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.db.inserts import upsert
from engine.db.schema import kpi_threads

ThreadKey = tuple[str, str, int]  # conversation, life, thread
CHUNK = 1_000  # rows per multi-row statement, well under SQLite's bound-parameter limit
_KEY = ("conversation_id", "life_id", "thread")


def _utc(when: datetime | None) -> datetime | None:
    # SQLite stores the wall time of the value given, so every instant is written and compared in UTC.
    return None if when is None else when.astimezone(UTC)


async def mark_threads(connection: AsyncConnection, tenant: str, keys: Iterable[ThreadKey]) -> None:
    """Within a fact write's transaction: these threads' facts changed (a new thread gets its row).

    Keys are sorted so two writers touching the same threads lock them in the same order."""
    rows = [
        {"tenant": tenant, "conversation_id": c, "life_id": life, "thread": t, "changes": 1, "basis": 0}
        for c, life, t in sorted(set(keys))
    ]
    # Rows as parameters, not `.values(rows)`: that form has no cache key (compiled on every call).
    statement = upsert(connection, kpi_threads).on_conflict_do_update(
        index_elements=["tenant", *_KEY],
        set_={"changes": kpi_threads.c.changes + 1, "basis": 0},
    )
    for start in range(0, len(rows), CHUNK):
        await connection.execute(statement, rows[start : start + CHUNK])


async def mark_conversations(connection: AsyncConnection, tenant: str, conversations: Sequence[str]) -> None:
    """Within a rebuild's transaction: every thread of these conversations is to be measured again
    (one the rebuilt facts no longer have is dropped by the next refresh)."""
    for start in range(0, len(conversations), CHUNK):
        await connection.execute(
            update(kpi_threads)
            .where(
                kpi_threads.c.tenant == tenant,
                kpi_threads.c.conversation_id.in_(conversations[start : start + CHUNK]),
            )
            .values(changes=kpi_threads.c.changes + 1, basis=0)
        )


@dataclass(frozen=True)
class StaleThread:
    """A thread to measure again, and the count of fact writes its summary will stand for."""

    key: ThreadKey
    changes: int


@dataclass(frozen=True)
class Measured:
    """A refreshed summary to save (the instants and text `engine/kpis/summary.py` makes)."""

    key: ThreadKey
    changes: int
    started_at: datetime
    settled_at: datetime | None
    first_at: datetime
    last_at: datetime
    pack: str | None
    calendar: str | None
    summary: str


class Selected(NamedTuple):
    """A thread a report needs: its summary, or (`split`) only its key, to measure from facts.

    A tuple: a week's report selects ~20,000 (a frozen dataclass is ~3x as slow to build)."""

    key: ThreadKey
    pack: str | None
    calendar: str | None
    summary: str | None
    split: bool


class KpiThreadStore:
    """Thread summaries over the process's pooled control-plane engine; every query is by tenant."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def stale(self, tenant: str, version: int) -> list[StaleThread]:
        """Threads whose facts changed since their summary, or summarized in another format."""
        c = kpi_threads.c
        query = select(c.conversation_id, c.life_id, c.thread, c.changes).where(
            c.tenant == tenant, or_(c.basis < version, c.basis > version)
        )
        async with self._engine.connect() as connection:
            return [StaleThread((r[0], r[1], r[2]), r[3]) for r in await connection.execute(query)]

    async def save(self, tenant: str, measured: Sequence[Measured], version: int) -> int:
        """Store summaries, each only if no fact was written since its `changes` were read; returns
        how many were stored."""
        if not measured:
            return 0
        c = kpi_threads.c
        statement = (
            update(kpi_threads)
            .where(
                c.tenant == tenant,
                c.conversation_id == bindparam("k_conversation"),
                c.life_id == bindparam("k_life"),
                c.thread == bindparam("k_thread"),
                c.changes == bindparam("k_changes"),
            )
            .values(
                basis=version,
                started_at=bindparam("v_started"),
                settled_at=bindparam("v_settled"),
                first_at=bindparam("v_first"),
                last_at=bindparam("v_last"),
                pack=bindparam("v_pack"),
                calendar=bindparam("v_calendar"),
                summary=bindparam("v_summary"),
            )
        )
        params = [
            {
                "k_conversation": m.key[0],
                "k_life": m.key[1],
                "k_thread": m.key[2],
                "k_changes": m.changes,
                "v_started": _utc(m.started_at),
                "v_settled": _utc(m.settled_at),
                "v_first": _utc(m.first_at),
                "v_last": _utc(m.last_at),
                "v_pack": m.pack,
                "v_calendar": m.calendar,
                "v_summary": m.summary,
            }
            for m in sorted(measured, key=lambda m: m.key)  # the order fact writers lock threads in
        ]
        async with self._engine.begin() as connection:
            result = await connection.execute(statement, params)
        return max(result.rowcount, 0)

    async def drop(self, tenant: str, gone: Sequence[StaleThread]) -> None:
        """Forget threads that have no facts any more (a rebuild), unless facts arrived since."""
        c = kpi_threads.c
        statement = delete(kpi_threads).where(
            c.tenant == tenant,
            c.conversation_id == bindparam("k_conversation"),
            c.life_id == bindparam("k_life"),
            c.thread == bindparam("k_thread"),
            c.changes == bindparam("k_changes"),
        )
        if gone:
            params = [
                {"k_conversation": g.key[0], "k_life": g.key[1], "k_thread": g.key[2], "k_changes": g.changes}
                for g in gone
            ]
            async with self._engine.begin() as connection:
                await connection.execute(statement, params)

    async def mark(self, tenant: str, keys: Iterable[ThreadKey] | None = None) -> None:
        """Have the next report measure these threads again (every thread of the tenant without keys)."""
        async with self._engine.begin() as connection:
            if keys is None:
                await connection.execute(
                    update(kpi_threads)
                    .where(kpi_threads.c.tenant == tenant)
                    .values(changes=kpi_threads.c.changes + 1, basis=0)
                )
            else:
                await mark_threads(connection, tenant, keys)

    async def selected(self, tenant: str, start: datetime, end: datetime) -> list[Selected]:
        """The summaries a report over [start, end) needs, and the threads to measure from facts.

        Each query has one condition per index column, so the planner of either database has one
        obvious index for it (SQLite has no statistics of value ranges to choose by)."""
        c = kpi_threads.c
        since, until = _utc(start), _utc(end)
        split = select(c.conversation_id, c.life_id, c.thread).where(
            c.tenant == tenant, c.last_at >= until, c.first_at < until
        )
        wanted = [
            # begun in the range
            and_(c.tenant == tenant, c.started_at >= since, c.started_at < until),
            # begun before it, waiting at its start or later: the backlog
            and_(c.tenant == tenant, c.settled_at > since, c.started_at < since),
            and_(c.tenant == tenant, c.settled_at.is_(None), c.started_at < since),
        ]
        async with self._engine.connect() as connection:
            out = [
                Selected((r[0], r[1], r[2]), None, None, None, True) for r in await connection.execute(split)
            ]
            cut = {s.key for s in out}
            for condition in wanted:
                query = select(c.conversation_id, c.life_id, c.thread, c.pack, c.calendar, c.summary)
                for r in await connection.execute(query.where(condition)):
                    if (r[0], r[1], r[2]) not in cut:
                        out.append(Selected((r[0], r[1], r[2]), r[3], r[4], r[5], False))
        return out
