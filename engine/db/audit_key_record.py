"""The fingerprint of the key the cluster seals audit bundles with, shared by every part.

Each API replica seals the bundles it exports with its own CONVOFLOW_AUDIT_KEY. A replica started with
another key sealed bundles that `audit verify` refused with the cluster's key ("not the one this bundle
was sealed with"): the evidence an auditor was handed looked forged, though nothing had changed. The
first part to start records the key's fingerprint (the one a bundle's manifest names, never the key);
a part with another key is refused at start, and a deliberate change forgets the record first
(`convoflow db forget-audit-key`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.inserts import insert_or_ignore
from engine.db.schema import audit_key_fingerprint

SEALING = "audit bundles"
_RECORDED = select(audit_key_fingerprint.c.fingerprint).where(audit_key_fingerprint.c.sealing == SEALING)


async def differing_audit_key(database: AsyncEngine, fingerprint: str, *, record: bool = True) -> str | None:
    """The recorded fingerprint when it is not `fingerprint`; None when they match or none is
    recorded (`record`: then this one is, in the same transaction, so of two parts starting at once
    with other keys the second finds the first's)."""
    table = audit_key_fingerprint
    async with database.begin() as db:
        if record:
            row = {"sealing": SEALING, "fingerprint": fingerprint, "first_seen_at": datetime.now(UTC)}
            await db.execute(insert_or_ignore(db, table), [row])
        recorded = await db.scalar(_RECORDED)
    return recorded if recorded is not None and recorded != fingerprint else None


async def recorded_audit_key(database: AsyncEngine) -> str | None:
    """The fingerprint recorded, if a part has started since the last `forget_audit_key`."""
    async with database.connect() as db:
        found: str | None = await db.scalar(_RECORDED)
    return found


async def forget_audit_key(database: AsyncEngine) -> bool:
    """Forget the recorded fingerprint: the next part to start records its key. Whether one was."""
    table = audit_key_fingerprint
    async with database.begin() as db:
        gone = await db.execute(delete(table).where(table.c.sealing == SEALING))
    return bool(gone.rowcount)
