"""The mail quarantine: inbound mail that could not become a conversation, kept for ops to judge.

Nothing a mail server delivered is dropped silently (issue 20): a mail without a usable sender, a
loop, a blocked sender, a spam verdict or an unreadable mail lands here, per tenant, and ops list,
read, release (into a conversation) or delete it.

It holds personal data, so:
- the raw mail and its summary (sender, subject, text) are **sealed**: AES-GCM under the tenant's
  payload key (the keyring that encrypts Temporal history, engine/service/payload_keys.py), through
  the `Sealer` the caller passes; the columns in clear say only why, when, from where and how big;
- every row **expires** (`retention`, default 30 days: CONVOFLOW_QUARANTINE_DAYS) and is deleted
  opportunistically, by every PURGE_EVERY-th insert and by any list, with no job to run;
- a mail is quarantined **once per tenant and Message-ID** (the derived one for mail without): a
  mailbox re-fetched after a crash, or a gateway's retry, finds the row it made before.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any, Protocol

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.inserts import insert_new
from engine.db.schema import mail_quarantine as table

RETENTION = timedelta(days=30)
PURGE_EVERY = 50


class Sealer(Protocol):
    """Seals a tenant's bytes for storage and opens them again (engine/service/quarantine_seal.py)."""

    def seal(self, tenant: str, plain: bytes) -> tuple[str | None, bytes]: ...

    def open(self, tenant: str, key_id: str | None, sealed: bytes) -> bytes: ...


@dataclass(frozen=True, kw_only=True)
class QuarantinedMail:
    quarantine_id: str
    message_id: str
    reason: str
    detail: str
    source: str
    size: int
    received_at: datetime
    expires_at: datetime
    released_at: datetime | None = None
    released_by: str | None = None
    conversation_id: str | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    """sender, sender_name, subject, text, quoted, attachments: what ops read to judge it."""
    raw: bytes | None = None
    """The mail as delivered (only when asked for: reading it for a release)."""


class MailQuarantine:
    def __init__(self, database: AsyncEngine, sealer: Sealer, retention: timedelta = RETENTION) -> None:
        self._database = database
        self._sealer = sealer
        self.retention = retention
        self._added = count(1)

    async def add(
        self,
        tenant: str,
        *,
        message_id: str,
        reason: str,
        detail: str,
        source: str,
        raw: bytes,
        summary: dict[str, Any],
    ) -> tuple[str, bool]:
        """Quarantine the mail; (its id, True) the first time, (the earlier row's id, False) after."""
        now = datetime.now(UTC)
        plain = json.dumps({"summary": summary, "raw": base64.b64encode(raw).decode()}).encode()
        key_id, sealed = self._sealer.seal(tenant, plain)
        quarantine_id = f"q_{secrets.token_hex(12)}"
        row = {
            "quarantine_id": quarantine_id,
            "tenant": tenant,
            "message_id": message_id[:256],
            "reason": reason,
            "detail": detail[:500],
            "source": source[:160],
            "size": len(raw),
            "sealed": sealed,
            "key_id": key_id,
            "received_at": now,
            "expires_at": now + self.retention,
        }
        async with self._database.begin() as connection:
            inserted = await insert_new(connection, table, row)
            if not inserted:
                found = await connection.execute(
                    select(table.c.quarantine_id).where(
                        table.c.tenant == tenant, table.c.message_id == row["message_id"]
                    )
                )
                existing = found.scalar_one_or_none()
                if existing is None:  # an expired twin was purged between the two statements: rare
                    raise RuntimeError("quarantine row vanished; retry")
                quarantine_id = existing
        if next(self._added) % PURGE_EVERY == 0:
            await self.purge()
        return quarantine_id, inserted

    async def released_to(self, tenant: str, message_id: str) -> str | None:
        """The conversation a released mail of this Message-ID went to (None: none kept). For ids
        remembered before inbound_seen kept their conversation (migration 0014)."""
        async with self._database.connect() as connection:
            found = await connection.execute(
                select(table.c.conversation_id).where(
                    table.c.tenant == tenant, table.c.message_id == message_id[:256]
                )
            )
            return found.scalar_one_or_none()

    async def page(
        self,
        tenant: str,
        *,
        limit: int,
        after: tuple[str, str] | None = None,
        reason: str | None = None,
        released: bool | None = None,
    ) -> list[QuarantinedMail]:
        """Up to `limit` items of `tenant`, oldest first, after the (received_at ISO, id) position."""
        now = datetime.now(UTC)
        query = select(*(c for c in table.c if c.name != "tenant")).where(
            table.c.tenant == tenant, table.c.expires_at > now
        )
        if reason is not None:
            query = query.where(table.c.reason == reason)
        if released is not None:
            query = query.where(
                table.c.released_at.isnot(None) if released else table.c.released_at.is_(None)
            )
        if after is not None:
            at = datetime.fromisoformat(after[0])
            query = query.where(
                or_(
                    table.c.received_at > at,
                    and_(table.c.received_at == at, table.c.quarantine_id > after[1]),
                )
            )
        query = query.order_by(table.c.received_at, table.c.quarantine_id).limit(limit)
        async with self._database.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [self._item(tenant, row, with_raw=False) for row in rows]

    async def get(self, tenant: str, quarantine_id: str, *, with_raw: bool = False) -> QuarantinedMail | None:
        async with self._database.connect() as connection:
            row = (
                (
                    await connection.execute(
                        select(table).where(
                            table.c.tenant == tenant,
                            table.c.quarantine_id == quarantine_id,
                            table.c.expires_at > datetime.now(UTC),
                        )
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else self._item(tenant, row, with_raw=with_raw)

    async def mark_released(self, tenant: str, quarantine_id: str, *, conversation_id: str, by: str) -> None:
        """Record where a release delivered the mail (the first release's answer is kept)."""
        async with self._database.begin() as connection:
            await connection.execute(
                update(table)
                .where(
                    table.c.tenant == tenant,
                    table.c.quarantine_id == quarantine_id,
                    table.c.released_at.is_(None),
                )
                .values(released_at=datetime.now(UTC), released_by=by[:128], conversation_id=conversation_id)
            )

    async def delete(self, tenant: str, quarantine_id: str) -> bool:
        async with self._database.begin() as connection:
            gone = await connection.execute(
                delete(table).where(table.c.tenant == tenant, table.c.quarantine_id == quarantine_id)
            )
            return bool(gone.rowcount)

    async def purge(self) -> int:
        """Delete the rows past their retention (of every tenant); how many went."""
        async with self._database.begin() as connection:
            gone = await connection.execute(delete(table).where(table.c.expires_at <= datetime.now(UTC)))
            return gone.rowcount

    def _item(self, tenant: str, row: Any, *, with_raw: bool) -> QuarantinedMail:
        try:
            opened = json.loads(self._sealer.open(tenant, row["key_id"], row["sealed"]))
        except Exception:
            opened = {"summary": {"unreadable": "sealed under a payload key that is not configured"}}
        raw = base64.b64decode(opened["raw"]) if with_raw and "raw" in opened else None
        return QuarantinedMail(
            quarantine_id=row["quarantine_id"],
            message_id=row["message_id"],
            reason=row["reason"],
            detail=row["detail"],
            source=row["source"],
            size=row["size"],
            received_at=row["received_at"],
            expires_at=row["expires_at"],
            released_at=row["released_at"],
            released_by=row["released_by"],
            conversation_id=row["conversation_id"],
            summary=opened.get("summary", {}),
            raw=raw,
        )
