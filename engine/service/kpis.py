"""KPI reports and rebuilds: the projection read through its thread summaries, or rewritten.

The computation is pure (engine/kpis); a report refreshes the summaries of threads whose facts
changed and aggregates those of its range (engine/service/kpi_summaries.py, docs/kpis.md "Costs");
a rebuild recomputes the facts from the decision trail for `convoflow kpi rebuild` (from audit
bundles or from Temporal), which marks the conversations' summaries stale.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from engine.audit.bundle import DECISIONS_FILE, BundleError, checked_shape
from engine.audit.verification import VerifyingKeys, verify
from engine.contracts.compact_json import plain
from engine.contracts.conversation import DecisionEntry, conversation_workflow_id
from engine.contracts.kpi import KpiFact
from engine.db.erasure import Erased, kpis_erased
from engine.db.kpi_facts import KpiFactStore
from engine.kpis.facts import facts_of
from engine.kpis.query import KpiQuery
from engine.kpis.report import report
from engine.kpis.threads import ThreadKpis, threads_of
from engine.service.audit_bundle import QUERY_SECONDS, conversations, read_bundle, run_ids
from engine.service.kpi_calendars import calendars_for
from engine.service.kpi_summaries import refresh, threads_for
from workflows.conversation.workflow import ConversationWorkflow


async def kpi_report(database: AsyncEngine, tenant: str, query: KpiQuery) -> list[dict[str, Any]]:
    """The report rows of one tenant (only its rows are read): the thread summaries refreshed where
    facts changed, then the threads that can matter to the range, aggregated."""
    (rows,) = await kpi_reports(database, tenant, [query])
    return rows


async def kpi_reports(
    database: AsyncEngine, tenant: str, queries: Sequence[KpiQuery]
) -> list[list[dict[str, Any]]]:
    """Several reports over one range (the console's totals and its days): the threads read once."""
    if len({(q.start, q.end) for q in queries}) != 1:
        raise ValueError("reports read together cover the same range")
    await refresh(database, tenant)
    threads = await threads_for(database, tenant, queries[0])
    return await asyncio.to_thread(lambda: [_aggregate(threads, q) for q in queries])


async def kpi_report_from_facts(database: AsyncEngine, tenant: str, query: KpiQuery) -> list[dict[str, Any]]:
    """The same rows from every fact before the range's end, measured anew (what the summaries must
    equal; the tests and the benchmark compare the two)."""
    facts = await KpiFactStore(database).facts(tenant, before=query.end)
    calendars = await calendars_for(database, facts)
    return await asyncio.to_thread(lambda: _aggregate(threads_of(facts, calendars), query))


def _aggregate(threads: list[ThreadKpis], query: KpiQuery) -> list[dict[str, Any]]:
    # CPU work: callers run it off the event loop, which serves other requests.
    return report(
        threads,
        start=query.start,
        end=query.end,
        group_by=query.group_by,
        interval=query.interval,
        filters=query.filters,
        zone=query.zone,
    )


def trail_facts(tenant: str, conversation: str, trail: Iterable[DecisionEntry]) -> list[KpiFact]:
    """The facts a trail stands for (the function the workflow uses), each identity once."""
    seen: dict[tuple[str, int, int], KpiFact] = {}
    for entry in trail:
        for fact in facts_of(entry, tenant=tenant, conversation_id=conversation):
            seen.setdefault((fact.life_id, fact.seq, fact.part), fact)
    return list(seen.values())


@dataclass(frozen=True)
class Rebuilt:
    """One conversation's recomputed facts, and how far its trail reached (the last seq per life)."""

    tenant: str
    conversation: str
    facts: list[KpiFact]
    reached: dict[str, int]

    @classmethod
    def of(cls, tenant: str, conversation: str, trail: list[DecisionEntry]) -> Rebuilt:
        reached: dict[str, int] = {}
        for entry in trail:
            if entry.kpi is not None:
                life = str(plain(entry.kpi).get("life", ""))
                reached[life] = max(reached.get(life, 0), entry.seq)
        return cls(tenant, conversation, trail_facts(tenant, conversation, trail), reached)


def rebuilt_from_bundle(path: Path, key: bytes) -> Rebuilt:
    """The facts of an audit bundle's decision trail; BundleError when it is not a bundle or does not
    verify with the deployment's audit key, as `convoflow audit verify` checks it: an edited record
    would become a KPI (a survey's rating of 2 read 5), an edited manifest's tenant put another
    tenant's conversation in this one's figures."""
    bundle = read_bundle(path)
    verdict = verify(bundle, VerifyingKeys(secret=key))
    if not verdict.intact:
        raise BundleError(f"does not verify: {verdict.problems[0]} (`convoflow audit verify` says all)")
    manifest, files = checked_shape(bundle)
    trail = [DecisionEntry.model_validate(record) for record in files.get(DECISIONS_FILE, [])]
    tenant, conversation = str(manifest["tenant"]), str(manifest["conversation"])
    return Rebuilt.of(tenant, conversation, trail)


async def rebuilt_from_temporal(client: Client, tenant: str) -> list[Rebuilt]:
    """The facts of every conversation of the tenant, from the trail each of its runs holds (a query
    per run, as `audit export` reads it: a run carries only its newest entries, every run together
    has all)."""
    out = []
    for conversation in await conversations(client, tenant):
        workflow_id = conversation_workflow_id(tenant, conversation)
        trail: list[DecisionEntry] = []
        for run_id in await run_ids(client, workflow_id):
            handle = client.get_workflow_handle_for(ConversationWorkflow.run, workflow_id, run_id=run_id)
            trail += await handle.query(
                ConversationWorkflow.decisions, rpc_timeout=timedelta(seconds=QUERY_SECONDS)
            )
        out.append(Rebuilt.of(tenant, conversation, trail))
    return out


async def older_than_stored(database: AsyncEngine, rebuilt: Sequence[Rebuilt]) -> list[Rebuilt]:
    """Those whose conversation has events stored past the rebuilt ones: a bundle exported before
    the conversation's latest events (a reopen, a reply) would have made them vanish from the KPIs.
    Only events the bundle's trail never reached count (its last seq per life, whatever facts it
    makes); a fact the rebuild drops for an event the trail has (a mended `facts_of`) is the
    rebuild's point."""
    store = KpiFactStore(database)
    by_tenant: dict[str, list[Rebuilt]] = {}
    for one in rebuilt:
        by_tenant.setdefault(one.tenant, []).append(one)
    older: list[Rebuilt] = []
    for tenant, ones in by_tenant.items():
        lives: dict[str, dict[str, int]] = {}
        for (name, life), seq in (await store.last_seqs(tenant, [one.conversation for one in ones])).items():
            lives.setdefault(name, {})[life] = seq
        for one in ones:
            stored = lives.get(one.conversation, {}).items()
            if any(seq > one.reached.get(life, -1) for life, seq in stored):
                older.append(one)
    return older


@dataclass(frozen=True)
class LeftOut:
    """Facts of a rebuilt conversation from before an erasure of its customer: not written back."""

    rebuilt: Rebuilt
    erasure_id: str
    erased_at: datetime


async def without_erased(
    database: AsyncEngine, rebuilt: list[Rebuilt]
) -> tuple[list[Rebuilt], list[LeftOut]]:
    """The rebuilt conversations with the lives an erasure removed taken out (a bundle exported before
    a customer's erasure wrote their conversation's facts back, for good: helper-121). The erasure
    names the lives it removed; one recorded before it did, by time: a life whose first fact is
    after the erasure began again since, and stays (a `received_at` back-dated past the erasure
    would hide one: the reason the lives are recorded)."""
    kept: list[Rebuilt] = []
    left_out: list[LeftOut] = []
    erased: dict[str, dict[str, Erased]] = {}
    for one in rebuilt:
        if one.tenant not in erased:
            erased[one.tenant] = await kpis_erased(database, one.tenant)
        found = erased[one.tenant].get(one.conversation)
        if found is None:
            kept.append(one)
            continue
        if found.lives is not None:
            gone = {fact.life_id for fact in one.facts} & found.lives
        else:  # a life with a fact before the erasure began before it
            gone = {fact.life_id for fact in one.facts if fact.at <= found.erased_at}
        if gone:
            left_out.append(LeftOut(one, found.erasure_id, found.erased_at))
        # Written even when nothing is left: facts a rebuild before this one brought back go.
        facts = [fact for fact in one.facts if fact.life_id not in gone]
        reached = {life: seq for life, seq in one.reached.items() if life not in gone}
        kept.append(Rebuilt(one.tenant, one.conversation, facts, reached))
    return kept, left_out


async def write_rebuilt(database: AsyncEngine, rebuilt: list[Rebuilt]) -> int:
    """Each conversation's facts become the rebuilt ones; returns how many facts were written."""
    store = KpiFactStore(database)
    written = 0
    for one in rebuilt:
        written += await store.replace(one.tenant, [one.conversation], one.facts)
    return written
