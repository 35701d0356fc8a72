"""What a customer's conversations left in the control-plane database, removed, and the erasure kept.

Temporal holds a conversation's history (the service deletes its runs); every table here that names
a conversation, or the local CRM's contact, holds the rest: the replies sent (outbox), the CRM's
notes and fields written from the conversation, its KPI facts and thread summaries, the events
delivered to subscribers and their attempts, shadow decisions, quarantined mail released into it,
the inbound ids seen, the delivery ledger's keys. One transaction: an erasure is whole or not at all.

What is kept is the `erasures` row: when, who asked, which conversation ids, how much was removed,
and the digests of the addresses, so the request can be shown done without the address itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.contracts.conversation import conversation_workflow_id
from engine.db.customer_index import customer_keys
from engine.db.schema import (
    crm_contacts,
    crm_writes,
    customer_conversations,
    delivery_attempts,
    delivery_ledger,
    erasures,
    event_deliveries,
    inbound_seen,
    kpi_facts,
    kpi_threads,
    mail_quarantine,
    outbox,
    shadow_decisions,
)

# Tables whose rows name the conversation (some by the integrator's id, the outbox by the workflow
# id: both are asked of every table).
BY_CONVERSATION: tuple[Table, ...] = (
    outbox,
    inbound_seen,
    kpi_facts,
    kpi_threads,
    event_deliveries,
    delivery_attempts,
    shadow_decisions,
    mail_quarantine,
    customer_conversations,
)


CHUNK = 200
SWEPT_BY = "retention:"
"""How a retention sweep's record names its actor (engine/service/retention.py)."""


def _like_prefix(text: str) -> str:
    """`text` as a LIKE prefix: an id's `_` matched any character (`c_1` took `cx1`'s rows)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def erase_rows(
    database: AsyncEngine,
    tenant: str,
    conversations: Sequence[str],
    contacts: Sequence[str],
    quarantined: Sequence[str],
    addresses: Iterable[str],
    *,
    actor: str | None,
    removed: dict[str, int],
    keep: tuple[Table, ...] = (),
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Remove the rows of `conversations`, the CRM `contacts` and the `quarantined` mail of `tenant`;
    the erasure's record, counting what was `removed` elsewhere too (Temporal's runs, the mirror).
    `keep`: tables of BY_CONVERSATION left as they are (the retention sweep keeps KPI facts);
    `details`: what was left and why (written_into_others, began_again, notes), kept with it."""
    removed = (
        dict.fromkeys([t.name for t in BY_CONVERSATION] + ["delivery_ledger", "crm_writes"], 0) | removed
    )
    kept = {"kept": [t.name for t in keep]} if keep else {}
    lives: dict[str, list[str]] = {}  # by conversation, the lives whose KPI facts go (kpis_erased)
    async with database.begin() as connection:
        # In parts: SQLite refuses an expression deeper than 1,000 (a customer of 1,100 conversations
        # failed for good, Temporal's runs already gone).
        for start in range(0, len(conversations), CHUNK):
            part = conversations[start : start + CHUNK]
            names = [*part, *(conversation_workflow_id(tenant, c) for c in part)]
            if kpi_facts not in keep:
                f = kpi_facts.c
                query = select(f.conversation_id, f.life_id).where(
                    f.tenant == tenant, f.conversation_id.in_(part)
                )
                for conversation, life in (await connection.execute(query.distinct())).all():
                    lives.setdefault(conversation, []).append(life)
            for table in (t for t in BY_CONVERSATION if t not in keep):
                statement = delete(table).where(table.c.tenant == tenant, table.c.conversation_id.in_(names))
                removed[table.name] += (await connection.execute(statement)).rowcount
            removed["delivery_ledger"] += await _by_key_prefix(connection, delivery_ledger, tenant, part)
            removed["crm_writes"] += await _by_key_prefix(connection, crm_writes, tenant, part)
        removed["crm_writes"] += await _by_key_prefix(connection, crm_writes, tenant, (), contacts)
        if quarantined:
            statement = delete(mail_quarantine).where(
                mail_quarantine.c.tenant == tenant, mail_quarantine.c.quarantine_id.in_(quarantined)
            )
            removed["quarantined_mail"] = (await connection.execute(statement)).rowcount
        if contacts:
            statement = delete(crm_contacts).where(
                crm_contacts.c.tenant == tenant, crm_contacts.c.customer_id.in_(contacts)
            )
            removed["crm_contacts"] = (await connection.execute(statement)).rowcount
        record = {
            "erasure_id": "er_" + secrets.token_hex(12),
            "tenant": tenant,
            "customer_keys": customer_keys(tenant, addresses),
            "conversations": list(conversations),
            "removed": {k: v for k, v in removed.items() if v},
            "actor": actor,
            # What was kept says what a rebuild may bring back (`kpis_erased`: not these KPI facts),
            # and the lives erased which lives of a bundle to leave out (a later one is the customer's
            # new conversation under the same id).
            "details": {k: v for k, v in (details or {}).items() if v}
            | kept
            | ({"erased_lives": {c: sorted(ls) for c, ls in lives.items()}} if lives else {})
            or None,
            "erased_at": datetime.now(UTC),
        }
        await connection.execute(erasures.insert(), [record])
    if database.dialect.name == "sqlite":  # the erased rows' pages out of the write-ahead log too
        async with database.connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return shown(record)


async def erased_since(database: AsyncEngine, tenant: str, since: datetime) -> set[str]:
    """The conversation ids the tenant's erasures since `since` name."""
    statement = select(erasures.c.conversations).where(
        erasures.c.tenant == tenant, erasures.c.erased_at >= since
    )
    async with database.connect() as connection:
        return {c for (named,) in (await connection.execute(statement)).all() for c in named}


async def note_began_again(database: AsyncEngine, erasure_id: str, began_again: list[str]) -> None:
    """What the retention sweep learnt after its transaction: those a message began again meanwhile."""
    async with database.begin() as connection:
        details = (
            await connection.execute(select(erasures.c.details).where(erasures.c.erasure_id == erasure_id))
        ).scalar_one_or_none() or {}
        await connection.execute(
            update(erasures)
            .where(erasures.c.erasure_id == erasure_id)
            .values(details={**details, "began_again": began_again})
        )


@dataclass(frozen=True)
class Erased:
    """A conversation's latest erasure that removed its KPI facts."""

    erasure_id: str
    erased_at: datetime
    lives: frozenset[str] | None
    """The lives whose facts it removed (None: an erasure recorded before it kept them)."""


def _together(earlier: Erased | None, this: Erased) -> Erased:
    """A conversation erased twice: named by the latest erasure, every life either took left out
    (when both say which; else by the latest erasure's time)."""
    if earlier is None:
        return this
    latest = this if earlier.erased_at < this.erased_at else earlier
    lives = None if earlier.lives is None or this.lives is None else earlier.lives | this.lives
    return Erased(latest.erasure_id, latest.erased_at, lives)


async def kpis_erased(database: AsyncEngine, tenant: str) -> dict[str, Erased]:
    """When each conversation of the tenant last had its KPI facts erased, and by which erasure: a
    customer's erasure removes them, a retention sweep keeps them (its record says `kept`; a sweep's
    before that record named itself `retention: ...`). A rebuild from audit bundles exported before
    brought an erased customer's conversation back into the KPIs, for good (helper-121)."""
    e = erasures.c
    statement = select(e.erasure_id, e.conversations, e.actor, e.details, e.erased_at)
    found: dict[str, Erased] = {}
    async with database.connect() as connection:
        for erasure_id, conversations, actor, details, erased_at in await connection.execute(
            statement.where(e.tenant == tenant)
        ):
            if kpi_facts.name in _kept(actor, details):
                continue
            named = (details or {}).get("erased_lives")
            for conversation in conversations:
                lives = None if named is None else frozenset(named.get(conversation, []))
                this = Erased(erasure_id, erased_at, lives)
                found[conversation] = _together(found.get(conversation), this)
    return found


def _kept(actor: str | None, details: dict[str, Any] | None) -> list[str]:
    """The stores an erasure left as they were: what its record says, and for a sweep's record from
    before records said so (it named itself `retention: ...`), the KPI facts it kept too."""
    if details and "kept" in details:
        return list(details["kept"])
    return [kpi_facts.name, kpi_threads.name] if (actor or "").startswith(SWEPT_BY) else []


def shown(record: dict[str, Any]) -> dict[str, Any]:
    """An erasure as it is shown: its details (what was left and why) among its other fields."""
    out = {k: v for k, v in record.items() if k != "details"}
    details = dict(record.get("details") or {})
    if kept := _kept(record.get("actor"), details):
        details["kept"] = kept
    return {**out, **details}


async def _by_key_prefix(
    connection: AsyncConnection,
    table: Table,
    tenant: str,
    conversations: Sequence[str],
    contacts: Sequence[str] = (),
) -> int:
    """Rows keyed by an outbound key of the conversations (`conversation:{tenant}:{id}:...`), or, for
    CRM writes, of the contacts."""
    matches = [
        table.c.idempotency_key.like(_like_prefix(conversation_workflow_id(tenant, c) + ":"), escape="\\")
        for c in conversations
    ]
    if contacts and "customer_id" in table.c:
        matches.append(table.c.customer_id.in_(contacts))
    if not matches:
        return 0
    statement = delete(table).where(table.c.tenant == tenant, or_(*matches))
    return (await connection.execute(statement)).rowcount


async def erasures_of(
    database: AsyncEngine, tenant: str, limit: int | None = None, after: tuple[datetime, str] | None = None
) -> list[dict[str, Any]]:
    """The tenant's erasures, newest first (what an auditor is shown); `after`: those older than the
    (erased_at, erasure_id) of a page's last one."""
    e = erasures.c
    statement = select(erasures).where(e.tenant == tenant).order_by(e.erased_at.desc(), e.erasure_id.desc())
    if after is not None:
        statement = statement.where(
            or_(e.erased_at < after[0], and_(e.erased_at == after[0], e.erasure_id < after[1]))
        )
    if limit is not None:
        statement = statement.limit(limit)
    async with database.connect() as connection:
        return [shown(dict(row._mapping)) for row in (await connection.execute(statement)).all()]
