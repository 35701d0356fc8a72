"""Intent models by pack version: trained once from the pack's examples, read by every host.

A pack with `intents` gets its classifier trained when it is stored (publishing, a shadow pack, the
shipped pack a tenant starts from) and the weights stored beside it as plain JSON, keyed by the
pack's hash, with the SHA-256 of that JSON. Workers classify with the stored weights, so every host
and every later decision of a conversation use the same model even if numpy's arithmetic differed
between machines; a row is never replaced (first writer wins), and its content is checked against
its hash on the way out, like a pack's.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engine.db.inserts import upsert
from engine.db.schema import intent_models
from engine.rules.pack import RulePack
from engine.rules.triage import IntentModel, trained_model


class AlteredModel(ValueError):
    """A stored intent model does not hash to the hash it is stored with."""


async def store_intent_model(db: AsyncConnection, pack: RulePack, digest: str, now: datetime) -> None:
    """Train (cached per process) and store the pack's model, unless a row for `digest` exists."""
    model = trained_model(pack)
    if model is None:
        return
    await _insert(db, digest, model, now)


async def _insert(db: AsyncConnection, digest: str, model: IntentModel, now: datetime) -> None:
    row = upsert(db, intent_models).values(
        pack_hash=digest, model_hash=model.hash, model=model.json, trained_at=now
    )
    await db.execute(row.on_conflict_do_nothing(index_elements=[intent_models.c.pack_hash]))


class IntentModelStore:
    """What the worker's pack registry reads models from (activities/rule_decisions.py)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def get(self, digest: str) -> IntentModel | None:
        async with self._engine.connect() as db:
            query = select(intent_models.c.model_hash, intent_models.c.model).where(
                intent_models.c.pack_hash == digest
            )
            row = (await db.execute(query)).one_or_none()
        if row is None:
            return None
        model = IntentModel.from_json(row.model)
        if model.hash != row.model_hash:
            raise AlteredModel(f"stored intent model of pack {digest} does not match its hash")
        return model

    async def put(self, digest: str, model: IntentModel) -> IntentModel:
        """Store `model` unless another host stored one first; the stored one is returned."""
        async with self._engine.begin() as db:
            await _insert(db, digest, model, datetime.now(UTC))
        stored = await self.get(digest)
        assert stored is not None  # just inserted, and rows are never deleted
        return stored
