"""The threads a KPI report needs, from the per-thread summaries, refreshed first where facts changed.

`refresh` measures again every thread of the tenant whose facts were written since its summary (the
fact writes marked them), conversation by conversation in chunks, off the event loop. `threads_for`
then reads only the summaries of threads that can matter to the period and decodes them; threads
with facts on both sides of the period's end, and summaries that cannot be trusted any more (a
calendar that became known, another format), are measured from their facts before the end, exactly
as a report from facts would.
"""

from __future__ import annotations

import asyncio
import weakref

from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.kpi_facts import KpiFactStore, StoredFact
from engine.db.kpi_threads import KpiThreadStore, Measured, StaleThread, ThreadKey
from engine.kpis import summary
from engine.kpis.query import KpiQuery
from engine.kpis.threads import ThreadKpis, threads_of
from engine.service.kpi_calendars import CalendarBook
from engine.service.kpi_decoded import decoded_threads

# Conversations whose facts one refresh step reads (bounded memory whatever the backlog of changes).
REFRESH_CHUNK = 5_000
# Conversations per `IN (...)` of a facts query.
FACTS_CHUNK = 1_000


def _key(fact: StoredFact) -> ThreadKey:
    return (fact.conversation_id, fact.life_id, fact.thread)


async def _facts_of(
    database: AsyncEngine, tenant: str, keys: set[ThreadKey], query: KpiQuery | None = None
) -> list[StoredFact]:
    """The facts of these threads (only those before the query's end, with a query)."""
    store = KpiFactStore(database)
    conversations = sorted({c for c, _, _ in keys})
    out: list[StoredFact] = []
    for start in range(0, len(conversations), FACTS_CHUNK):
        chunk = conversations[start : start + FACTS_CHUNK]
        read = await store.facts(tenant, before=None if query is None else query.end, conversations=chunk)
        out += [f for f in read if _key(f) in keys]
    return out


# One refresh at a time per database and tenant in this process: a dashboard's reports arriving
# together while thousands of threads are stale would each measure them all; the later ones wait and
# find them current. (Refreshes in other processes are safe too, only not shared: see `save`.)
_REFRESHING: weakref.WeakKeyDictionary[AsyncEngine, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()


async def refresh(database: AsyncEngine, tenant: str) -> int:
    """Summarize every thread of the tenant whose facts changed; returns how many were measured."""
    async with _REFRESHING.setdefault(database, {}).setdefault(tenant, asyncio.Lock()):
        return await _refresh(database, tenant)


async def _refresh(database: AsyncEngine, tenant: str) -> int:
    store = KpiThreadStore(database)
    stale = await store.stale(tenant, summary.VERSION)
    by_conversation: dict[str, list[StaleThread]] = {}
    for one in stale:
        by_conversation.setdefault(one.key[0], []).append(one)
    book = CalendarBook(database)
    conversations = sorted(by_conversation)
    for start in range(0, len(conversations), REFRESH_CHUNK):
        wanted = {
            one.key: one for c in conversations[start : start + REFRESH_CHUNK] for one in by_conversation[c]
        }
        facts = await _facts_of(database, tenant, set(wanted))
        calendars = await book.for_facts(facts)
        made = await asyncio.to_thread(summary.summaries_of, facts, calendars)
        measured = [
            Measured(
                key=(s.conversation_id, s.life_id, s.thread),
                changes=wanted[(s.conversation_id, s.life_id, s.thread)].changes,
                started_at=s.started_at,
                settled_at=s.settled_at,
                first_at=s.first_at,
                last_at=s.last_at,
                pack=s.pack,
                calendar=s.calendar,
                summary=s.body,
            )
            for s in made
        ]
        await store.save(tenant, measured, summary.VERSION)
        found = {m.key for m in measured}
        await store.drop(tenant, [one for key, one in wanted.items() if key not in found])
    return len(stale)


async def threads_for(database: AsyncEngine, tenant: str, query: KpiQuery) -> list[ThreadKpis]:
    """Every thread that can matter to the report over the query's range, as a report from the facts
    before its end would measure it (refresh first)."""
    selected = await KpiThreadStore(database).selected(tenant, query.start, query.end)
    book = CalendarBook(database)
    calendars = await book.calendars({(s.pack, s.calendar) for s in selected})
    threads, untrusted = await asyncio.to_thread(
        decoded_threads(database).decoded, tenant, selected, calendars
    )
    if untrusted:
        await KpiThreadStore(database).mark(tenant, untrusted)  # the next refresh measures them again
    again = untrusted | {s.key for s in selected if s.split}
    if again:
        facts = await _facts_of(database, tenant, again, query)
        measured_by = await book.for_facts(facts)
        threads += await asyncio.to_thread(threads_of, facts, measured_by)
    return threads
