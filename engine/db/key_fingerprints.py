"""The fingerprint of each payload key id the cluster has used, shared by every part.

Parts of a cluster read their keyring from their own settings. Two parts with different key
material under one key id each start, each seal payloads, and each fail on the other's: a
conversation's first message sealed on the wrong host stayed unreadable on every host. The first
part to start with a key id records its fingerprint (a one-way derivation of the key, never the key);
a part whose key under that id has another fingerprint is refused at start, naming the id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.inserts import insert_or_ignore
from engine.db.schema import payload_key_fingerprints


class RecordedKey(NamedTuple):
    key_id: str
    fingerprint: str
    first_seen_at: datetime


async def recorded_keys(database: AsyncEngine) -> list[RecordedKey]:
    """Every key id recorded, by id."""
    table = payload_key_fingerprints
    query = select(table.c.key_id, table.c.fingerprint, table.c.first_seen_at).order_by(table.c.key_id)
    async with database.connect() as db:
        return [RecordedKey(*row) for row in await db.execute(query)]


async def forget_key(database: AsyncEngine, key_id: str) -> bool:
    """Forget a key id's fingerprint (the first part to start with it had the wrong key): the next
    part to start with the id records its own. Whether one was recorded."""
    async with database.begin() as db:
        gone = await db.execute(
            delete(payload_key_fingerprints).where(payload_key_fingerprints.c.key_id == key_id)
        )
    return bool(gone.rowcount)


async def differing_keys(
    database: AsyncEngine, fingerprints: dict[str, str], *, record: bool = True
) -> tuple[list[str], list[str]]:
    """The key ids whose fingerprint differs from the one first recorded for them, and those never
    recorded (none when `record`: a part of the cluster records the ids new to it; a CLI command
    does not, or a shell's own key would become the cluster's)."""
    if not fingerprints:
        return [], []
    now = datetime.now(UTC)
    rows = [{"key_id": k, "fingerprint": f, "first_seen_at": now} for k, f in fingerprints.items()]
    async with database.begin() as db:
        if record:
            await db.execute(insert_or_ignore(db, payload_key_fingerprints), rows)
        known = select(payload_key_fingerprints).where(payload_key_fingerprints.c.key_id.in_(fingerprints))
        recorded = {row.key_id: row.fingerprint for row in await db.execute(known)}
    differing = sorted(k for k, f in fingerprints.items() if recorded.get(k, f) != f)
    return differing, sorted(set(fingerprints) - set(recorded))
