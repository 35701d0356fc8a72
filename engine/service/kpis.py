"""KPI reports and rebuilds: the projection's facts read or rewritten, calendars from the pack store.

The computation is pure (engine/kpis); this module reads the facts, loads each business calendar a
thread is measured on from the pack that named it (by hash), and recomputes the facts from the
decision trail for `convoflow kpi rebuild` (from audit bundles or from Temporal).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from engine.audit.bundle import DECISIONS_FILE, checked_shape
from engine.calendar import BusinessCalendar, CalendarError, shared_calendar
from engine.contracts.conversation import DecisionEntry, conversation_workflow_id
from engine.contracts.kpi import KpiFact
from engine.db.kpi_facts import KpiFactStore
from engine.db.packs import AlteredPack, PackStore, UnknownPack
from engine.kpis.facts import facts_of
from engine.kpis.query import KpiQuery
from engine.kpis.report import report
from engine.kpis.threads import Fact, threads_of
from engine.service.audit_bundle import QUERY_SECONDS, conversations, read_bundle, run_ids
from workflows.conversation.workflow import ConversationWorkflow


async def calendars_for(
    database: AsyncEngine, facts: Iterable[Fact]
) -> dict[tuple[str, str], BusinessCalendar]:
    """Each (pack hash, calendar name) the facts name, as a business calendar (unknown ones are left out)."""
    wanted = {(f.data.get("pack"), f.data.get("calendar")) for f in facts}
    store = PackStore(database)
    out: dict[tuple[str, str], BusinessCalendar] = {}
    packs: dict[str, Any] = {}
    for digest, name in wanted:
        if not digest or not name:
            continue
        if digest not in packs:
            try:
                packs[digest] = await store.get(digest)
            except (UnknownPack, AlteredPack):
                packs[digest] = None
        pack = packs[digest]
        if pack is not None and name in pack.calendars:
            try:
                out[(digest, name)] = shared_calendar(pack.calendars[name])
            except CalendarError:
                continue
    return out


async def kpi_report(database: AsyncEngine, tenant: str, query: KpiQuery) -> list[dict[str, Any]]:
    """The report rows of one tenant (only its facts are read)."""
    facts = await KpiFactStore(database).facts(tenant, before=query.end)
    calendars = await calendars_for(database, facts)

    def compute() -> list[dict[str, Any]]:
        threads = threads_of(facts, calendars)
        return report(
            threads,
            start=query.start,
            end=query.end,
            group_by=query.group_by,
            interval=query.interval,
            filters=query.filters,
        )

    # CPU work (business time over every thread): off the event loop, which serves other requests.
    return await asyncio.to_thread(compute)


def trail_facts(tenant: str, conversation: str, trail: Iterable[DecisionEntry]) -> list[KpiFact]:
    """The facts a trail stands for (the function the workflow uses), each identity once."""
    seen: dict[tuple[str, int, int], KpiFact] = {}
    for entry in trail:
        for fact in facts_of(entry, tenant=tenant, conversation_id=conversation):
            seen.setdefault((fact.life_id, fact.seq, fact.part), fact)
    return list(seen.values())


@dataclass(frozen=True)
class Rebuilt:
    """One conversation's recomputed facts."""

    tenant: str
    conversation: str
    facts: list[KpiFact]


def rebuilt_from_bundle(path: Path) -> Rebuilt:
    """The facts of an audit bundle's decision trail (BundleError when it is not a bundle)."""
    manifest, files = checked_shape(read_bundle(path))
    trail = [DecisionEntry.model_validate(record) for record in files.get(DECISIONS_FILE, [])]
    tenant, conversation = str(manifest["tenant"]), str(manifest["conversation"])
    return Rebuilt(tenant, conversation, trail_facts(tenant, conversation, trail))


async def rebuilt_from_temporal(client: Client, tenant: str) -> list[Rebuilt]:
    """The facts of every conversation of the tenant, from the trail each of its runs holds (a query
    per run, as `audit export` reads it: a run keeps its last 500 entries, every run together all)."""
    out = []
    for conversation in await conversations(client, tenant):
        workflow_id = conversation_workflow_id(tenant, conversation)
        trail: list[DecisionEntry] = []
        for run_id in await run_ids(client, workflow_id):
            handle = client.get_workflow_handle_for(ConversationWorkflow.run, workflow_id, run_id=run_id)
            trail += await handle.query(
                ConversationWorkflow.decisions, rpc_timeout=timedelta(seconds=QUERY_SECONDS)
            )
        out.append(Rebuilt(tenant, conversation, trail_facts(tenant, conversation, trail)))
    return out


async def write_rebuilt(database: AsyncEngine, rebuilt: list[Rebuilt]) -> int:
    """Each conversation's facts become the rebuilt ones; returns how many facts were written."""
    store = KpiFactStore(database)
    written = 0
    for one in rebuilt:
        written += await store.replace(one.tenant, [one.conversation], one.facts)
    return written
