"""The local CRM: contacts and write-backs in the control-plane database (tables crm_contacts, crm_writes).

It lives in the database rather than a file of the data dir so that every worker, on any host, sees
the same customers. A write-back is recorded under its idempotency key, the primary key of
crm_writes: when two workers retry the same write, the database lets exactly one insert through and
only that one changes the contact, with no read-then-write window between them.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.contracts.crm import CrmWrite, Customer, CustomerQuery
from engine.db.crm_lookups import LOOKUPS, searched_value
from engine.db.inserts import upsert
from engine.db.schema import crm_contacts, crm_writes

KNOWN_COLUMNS = (
    "id",
    "email",
    "phone",
    "external_id",
    "name",
    "first_name",
    "tier",
    "lifetime_value",
    "language",
)
# Known fields with a column of their own; the other known fields live in the `fields` JSON beside
# `custom` (the table keeps a column only for what is searched or listed).
COLUMNS = ("email", "phone", "name", "language", "tier")
IN_FIELDS = ("external_id", "first_name", "lifetime_value")
CUSTOM = "custom"


class LocalCrm:
    """Contacts of every tenant in one database; all reads and writes are scoped by tenant."""

    def __init__(self, database: AsyncEngine) -> None:
        self._db = database

    async def upsert(self, tenant: str, row: dict[str, Any]) -> None:
        """Insert or replace one contact from a CSV-shaped row (empty cells count as absent)."""
        await self.upsert_many(tenant, [row])

    async def upsert_many(self, tenant: str, rows: Iterable[dict[str, Any]]) -> int:
        """Insert or replace contacts in one transaction, so an import is all or nothing."""
        values = [_contact(tenant, row) for row in rows]
        if not values:
            return 0
        async with self._db.begin() as connection:
            statement = upsert(connection, crm_contacts)
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["tenant", "customer_id"],
                    set_={c: statement.excluded[c] for c in (*COLUMNS, "fields", "updated_at")},
                ),
                values,
            )
        return len(values)

    async def import_csv(self, tenant: str, path: Path) -> int:
        """Import a CSV with an `id` column; raises ValueError naming the file and line of bad input."""
        rows = await asyncio.to_thread(read_csv, path)
        return await self.upsert_many(tenant, rows)

    async def lookup(self, query: CustomerQuery) -> Customer | None:
        """The first contact matching external id, email or phone (in that order), case-insensitively."""
        searched = [(LOOKUPS[a], searched_value(a, getattr(query, a))) for a in LOOKUPS if getattr(query, a)]
        if not searched:
            return None
        async with self._db.connect() as connection:
            for statement, value in searched:
                row = (await connection.execute(statement, {"tenant": query.tenant, "value": value})).first()
                if row is not None:
                    return _customer(row._mapping)
        return None

    async def write(self, change: CrmWrite) -> bool:
        """Apply a write-back once per idempotency key; False when the key was already written."""
        async with self._db.begin() as connection:
            recorded = await connection.execute(
                upsert(connection, crm_writes)
                .values(
                    idempotency_key=change.idempotency_key,
                    tenant=change.tenant,
                    customer_id=change.customer_id,
                    field=change.field,
                    value=change.value,
                    note=change.note,
                    written_at=datetime.now(UTC),
                )
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
            )
            if recorded.rowcount != 1:
                return False
            if change.field and change.field != "id":
                await _set_field(connection, change)
            return True

    async def lookup_custom(self, tenant: str, customer_id: str) -> dict[str, Any]:
        async with self._db.connect() as connection:
            fields = (
                await connection.execute(
                    select(crm_contacts.c.fields).where(
                        crm_contacts.c.tenant == tenant, crm_contacts.c.customer_id == customer_id
                    )
                )
            ).scalar()
        return dict((fields or {}).get(CUSTOM, {}))

    async def notes(self, tenant: str, customer_id: str) -> list[str]:
        async with self._db.connect() as connection:
            rows = await connection.execute(
                select(crm_writes.c.note)
                .where(
                    crm_writes.c.tenant == tenant,
                    crm_writes.c.customer_id == customer_id,
                    crm_writes.c.note.is_not(None),
                )
                .order_by(crm_writes.c.written_at)
            )
            return [note for (note,) in rows]


async def _set_field(connection: AsyncConnection, change: CrmWrite) -> None:
    """Change one field of the contact (a column, or a key of `fields`); an unknown contact is left alone.

    The row is locked first (FOR UPDATE on PostgreSQL; SQLite already holds its one write lock), so two
    different writes to one contact's `fields` cannot lose each other's change.
    """
    where = (crm_contacts.c.tenant == change.tenant, crm_contacts.c.customer_id == change.customer_id)
    now = datetime.now(UTC)
    if change.field in COLUMNS:
        await connection.execute(
            update(crm_contacts).where(*where).values({change.field: change.value, "updated_at": now})
        )
        return
    fields = (
        await connection.execute(select(crm_contacts.c.fields).where(*where).with_for_update())
    ).scalar()
    if fields is None:
        return
    fields = dict(fields)
    if change.field in IN_FIELDS:
        fields[change.field] = change.value
    else:
        fields[CUSTOM] = dict(fields.get(CUSTOM, {})) | {change.field: change.value}
    await connection.execute(update(crm_contacts).where(*where).values(fields=fields, updated_at=now))


def read_csv(path: Path) -> list[dict[str, Any]]:
    """The rows of a contacts CSV, checked before anything is written (ValueError names file and line)."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or "id" not in reader.fieldnames:
            raise ValueError(f"{path}: the header must include an `id` column")
        rows = []
        for line, row in enumerate(reader, 2):
            if not row.get("id"):
                raise ValueError(f"{path}:{line}: id is empty")
            try:
                _contact("", row)
            except ValueError as exc:
                raise ValueError(f"{path}:{line}: {exc}") from None
            rows.append(row)
    return rows


def _contact(tenant: str, row: dict[str, Any]) -> dict[str, Any]:
    """A crm_contacts row from a CSV-shaped row; raises ValueError for a lifetime value that is no number."""
    known = {c: (row.get(c) or None) for c in KNOWN_COLUMNS}
    if known["lifetime_value"] is not None:
        known["lifetime_value"] = float(known["lifetime_value"])
    custom = {k: v for k, v in row.items() if k not in KNOWN_COLUMNS and v not in (None, "")}
    fields = {k: known[k] for k in IN_FIELDS if known[k] is not None} | {CUSTOM: custom}
    return {
        "tenant": tenant,
        "customer_id": known["id"],
        **{c: known[c] for c in COLUMNS},
        "fields": fields,
        "updated_at": datetime.now(UTC),
    }


def _customer(row: Any) -> Customer:
    fields = dict(row["fields"] or {})
    return Customer.model_validate(
        {"id": row["customer_id"], **{c: row[c] for c in COLUMNS}, **fields, CUSTOM: fields.get(CUSTOM, {})}
    )
