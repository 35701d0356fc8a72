"""CRM adapters: who the customer is (enrichment) and what we write back (fields, notes).

The local CRM is a SQLite file in the data dir (embedded default, seeded by `convoflow crm import`);
the REST CRM speaks to any HTTP CRM with a configurable base URL and auth header. Lookups answer
"unknown customer" for a 404, never an error; an unreachable CRM raises, and the workflow carries on
without enrichment and says so in its decision trail.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
from temporalio import activity

from activities.http_outcome import raise_for_status, unreachable
from activities.http_session import HttpSession
from engine.contracts.activities import CRM_WRITE, LOOKUP_CUSTOMER, Crm
from engine.contracts.crm import CrmWrite, Customer, CustomerQuery

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
TIMEOUT = aiohttp.ClientTimeout(total=5)


class LocalCrm:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._db.executescript("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS customers (
                tenant TEXT NOT NULL, id TEXT NOT NULL, email TEXT, phone TEXT, external_id TEXT,
                name TEXT, first_name TEXT, tier TEXT, lifetime_value REAL, language TEXT,
                custom TEXT NOT NULL DEFAULT '{}',
                PRIMARY KEY (tenant, id));
            CREATE INDEX IF NOT EXISTS customers_email ON customers (tenant, email);
            CREATE INDEX IF NOT EXISTS customers_phone ON customers (tenant, phone);
            CREATE TABLE IF NOT EXISTS writes (key TEXT PRIMARY KEY, tenant TEXT, customer_id TEXT,
                field TEXT, value TEXT, note TEXT, at TEXT);
        """)

    def upsert(self, tenant: str, row: dict[str, Any]) -> None:
        known = {c: (row.get(c) or None) for c in KNOWN_COLUMNS}
        custom = {k: v for k, v in row.items() if k not in KNOWN_COLUMNS and v not in (None, "")}
        if known["lifetime_value"] is not None:
            known["lifetime_value"] = float(known["lifetime_value"])
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO customers (tenant, {', '.join(KNOWN_COLUMNS)}, custom) "
                f"VALUES (?, {', '.join('?' for _ in KNOWN_COLUMNS)}, ?)",
                (tenant, *known.values(), json.dumps(custom)),
            )

    def import_csv(self, tenant: str, path: Path) -> int:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or "id" not in reader.fieldnames:
                raise ValueError(f"{path}: the header must include an `id` column")
            count = 0
            for line, row in enumerate(reader, 2):
                if not row.get("id"):
                    raise ValueError(f"{path}:{line}: id is empty")
                try:
                    self.upsert(tenant, row)
                except ValueError as exc:
                    raise ValueError(f"{path}:{line}: {exc}") from None
                count += 1
            return count

    def lookup(self, query: CustomerQuery) -> Customer | None:
        for column in ("external_id", "email", "phone"):
            value = getattr(query, column)
            if not value:
                continue
            with self._lock:
                row = self._db.execute(
                    f"SELECT * FROM customers WHERE tenant = ? AND {column} = ? COLLATE NOCASE LIMIT 1",
                    (query.tenant, value),
                ).fetchone()
            if row is not None:
                data = dict(row)
                data["custom"] = json.loads(data["custom"])
                return Customer.model_validate({k: v for k, v in data.items() if k != "tenant"})
        return None

    def write(self, change: CrmWrite) -> bool:
        with self._lock:
            if self._db.execute("SELECT 1 FROM writes WHERE key = ?", (change.idempotency_key,)).fetchone():
                return False
            if change.field:
                row = self._db.execute(
                    "SELECT custom FROM customers WHERE tenant = ? AND id = ?",
                    (change.tenant, change.customer_id),
                ).fetchone()
                if row is not None:
                    if change.field in KNOWN_COLUMNS and change.field != "id":
                        self._db.execute(
                            f"UPDATE customers SET {change.field} = ? WHERE tenant = ? AND id = ?",
                            (change.value, change.tenant, change.customer_id),
                        )
                    else:
                        custom = json.loads(row["custom"]) | {change.field: change.value}
                        self._db.execute(
                            "UPDATE customers SET custom = ? WHERE tenant = ? AND id = ?",
                            (json.dumps(custom), change.tenant, change.customer_id),
                        )
            self._db.execute(
                "INSERT INTO writes VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    change.idempotency_key,
                    change.tenant,
                    change.customer_id,
                    change.field,
                    json.dumps(change.value),
                    change.note,
                    datetime.now(UTC).isoformat(),
                ),
            )
            return True

    def lookup_custom(self, tenant: str, customer_id: str) -> dict[str, Any]:
        with self._lock:
            row = self._db.execute(
                "SELECT custom FROM customers WHERE tenant = ? AND id = ?", (tenant, customer_id)
            ).fetchone()
        return json.loads(row["custom"]) if row else {}

    def notes(self, tenant: str, customer_id: str) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT note FROM writes WHERE tenant = ? AND customer_id = ? AND note IS NOT NULL"
                " ORDER BY at",
                (tenant, customer_id),
            ).fetchall()
        return [r["note"] for r in rows]


class RestCrm:
    """GET {base}/customers?email=|phone=|external_id=, PATCH {base}/customers/{id}, POST .../notes."""

    def __init__(self, base_url: str, auth_header: str = "Authorization", token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = HttpSession(TIMEOUT, {auth_header: token} if token else {})

    async def lookup(self, query: CustomerQuery) -> Customer | None:
        for column in ("external_id", "email", "phone"):
            value = getattr(query, column)
            if not value:
                continue
            url = f"{self.base_url}/customers?{column}={quote(value)}"
            status, body = await self._call("GET", url)
            if status == 404:
                continue
            return Customer.model_validate(body)
        return None

    async def write(self, change: CrmWrite) -> bool:
        base = f"{self.base_url}/customers/{quote(change.customer_id)}"
        headers = {"Idempotency-Key": change.idempotency_key}
        if change.field:
            await self._call("PATCH", base, {change.field: change.value}, headers)
        if change.note:
            await self._call("POST", f"{base}/notes", {"text": change.note}, headers)
        return True

    async def close(self) -> None:
        await self._http.close()

    async def _call(
        self, method: str, url: str, payload: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        try:
            async with self._http.get().request(method, url, json=payload, headers=headers) as response:
                if response.status == 404:
                    return 404, None
                raise_for_status(response.status, "Crm")
                return response.status, await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unreachable("Crm", exc) from None


class CrmActivities(Crm):
    def __init__(self, crm: LocalCrm | RestCrm | None) -> None:
        self._crm = crm

    async def close(self) -> None:
        """Close the REST CRM's HTTP session (the worker calls this when it shuts down)."""
        if isinstance(self._crm, RestCrm):
            await self._crm.close()

    @activity.defn(name=LOOKUP_CUSTOMER)
    async def lookup_customer(self, query: CustomerQuery) -> Customer | None:
        if self._crm is None:
            return None
        if isinstance(self._crm, LocalCrm):
            return await asyncio.to_thread(self._crm.lookup, query)
        return await self._crm.lookup(query)

    @activity.defn(name=CRM_WRITE)
    async def crm_write(self, change: CrmWrite) -> bool:
        if self._crm is None:
            return False
        if isinstance(self._crm, LocalCrm):
            return await asyncio.to_thread(self._crm.write, change)
        return await self._crm.write(change)
