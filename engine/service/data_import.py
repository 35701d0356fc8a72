"""`convoflow db import`: a data directory written before the control-plane database, moved into it.

What moves: published packs (`rule_packs/*.json`, `published.jsonl`, `active`), the delivery ledger
(`deliveries.sqlite`), the local CRM (`crm.sqlite`: contacts and applied writes) and the outbox
(`outbox.jsonl`). Every row goes in with "insert if new", so the import can run again (after an
interruption, or by mistake) and adds nothing twice; a tenant that already has an active pack in
the database keeps it. The files are only read, never changed.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.local_crm import LocalCrm
from engine.db.inserts import insert_new
from engine.db.packs import canonical_text
from engine.db.schema import active_packs, crm_writes, delivery_ledger, outbox, rule_packs
from engine.rules.pack import RulePack


async def import_data_dir(database: AsyncEngine, data_dir: Path, tenant: str) -> Counter[str]:
    """Rows added per kind (`packs`, `ledger`, `crm contacts`, `crm writes`, `outbox`)."""
    added: Counter[str] = Counter()
    added["packs"] = await _packs(database, data_dir / "rule_packs", tenant)
    added["ledger"] = await _ledger(database, data_dir / "deliveries.sqlite", tenant)
    contacts, writes = await _crm(database, data_dir / "crm.sqlite")
    added["crm contacts"], added["crm writes"] = contacts, writes
    added["outbox"] = await _outbox(database, data_dir / "outbox.jsonl")
    return added


def tenant_of_key(key: str, fallback: str) -> str:
    """Idempotency keys start with the workflow id, `conversation:{tenant}:{id}`."""
    parts = key.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "conversation" else fallback


def _when(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _read_packs(root: Path) -> tuple[list[tuple[RulePack, str]], str | None]:
    """(pack, when it was published) per stored pack, and the active hash; checked against their hashes."""
    if not root.is_dir():
        return [], None
    published: dict[str, str] = {}
    log = root / "published.jsonl"
    if log.exists():
        for line in log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            published.setdefault(entry["hash"], entry.get("published_at", ""))
    packs = []
    for path in sorted(root.glob("*.json")):
        pack = RulePack.model_validate(json.loads(path.read_text(encoding="utf-8")))
        if pack.content_hash != path.stem:
            raise ValueError(f"{path}: content does not match its hash; nothing imported")
        packs.append((pack, published.get(pack.content_hash, "")))
    active = root / "active"
    return packs, active.read_text().strip() if active.exists() else None


async def _packs(database: AsyncEngine, root: Path, tenant: str) -> int:
    packs, active = await asyncio.to_thread(_read_packs, root)
    count = 0
    async with database.begin() as db:
        for pack, published_at in packs:
            count += await insert_new(
                db,
                rule_packs,
                {
                    "tenant": tenant,
                    "pack_hash": pack.content_hash,
                    "content": canonical_text(pack),
                    "name": pack.meta.name,
                    "version": pack.meta.version,
                    "published_by": "import",
                    "published_at": _when(published_at),
                    "source": f"convoflow db import {root}",
                },
            )
        if active is not None:
            has_active = (
                await db.execute(select(active_packs.c.tenant).where(active_packs.c.tenant == tenant))
            ).first()
            if has_active is None:
                await db.execute(
                    insert(active_packs).values(
                        tenant=tenant, pack_hash=active, activated_at=datetime.now(UTC)
                    )
                )
    return count


def _rows(path: Path, query: str) -> list[sqlite3.Row]:
    if not path.exists():
        return []
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return list(connection.execute(query))
    except sqlite3.OperationalError:  # a file without that table: nothing of that kind to import
        return []
    finally:
        connection.close()


async def _ledger(database: AsyncEngine, path: Path, tenant: str) -> int:
    count = 0
    async with database.begin() as db:
        for row in await asyncio.to_thread(_rows, path, "SELECT key, adapter, at FROM delivered"):
            values = {
                "idempotency_key": row["key"],
                "tenant": tenant_of_key(row["key"], tenant),
                "adapter": row["adapter"],
                "delivered_at": _when(row["at"]),
                "state": "delivered",
            }
            count += await insert_new(db, delivery_ledger, values)
    return count


async def _crm(database: AsyncEngine, path: Path) -> tuple[int, int]:
    contacts = await asyncio.to_thread(_rows, path, "SELECT * FROM customers")
    applied = await asyncio.to_thread(
        _rows, path, "SELECT key, tenant, customer_id, field, value, note, at FROM writes"
    )
    by_tenant: dict[str, list[dict[str, Any]]] = {}
    for row in contacts:
        record = {k: row[k] for k in row.keys() if k not in ("tenant", "custom")}
        record |= json.loads(row["custom"] or "{}")
        by_tenant.setdefault(row["tenant"], []).append(record)
    crm = LocalCrm(database)
    for tenant, records in by_tenant.items():
        await crm.upsert_many(tenant, records)  # the latest file wins: a re-import rewrites the same values
    writes = 0
    async with database.begin() as db:
        for row in applied:
            value = _json_or_text(row["value"])
            writes += await insert_new(
                db,
                crm_writes,
                {
                    "idempotency_key": row["key"],
                    "tenant": row["tenant"],
                    "customer_id": row["customer_id"],
                    "field": row["field"],
                    "value": value,
                    "note": row["note"],
                    "written_at": _when(row["at"]),
                },
            )
    return len(contacts), writes


def _json_or_text(raw: str | None) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _read_outbox(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def _outbox(database: AsyncEngine, path: Path) -> int:
    count = 0
    async with database.begin() as db:
        for record in await asyncio.to_thread(_read_outbox, path):
            delivered_at = record.pop("delivered_at", None)
            count += await insert_new(
                db,
                outbox,
                {
                    "idempotency_key": record["idempotency_key"],
                    "tenant": record["tenant"],
                    "conversation_id": record["conversation_id"],
                    "channel": record["channel"],
                    "kind": record["kind"],
                    "message": record,
                    "delivered_at": _when(delivered_at),
                },
            )
    return count
