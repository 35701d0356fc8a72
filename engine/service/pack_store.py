"""The service's view of published packs: the database store, and the shipped pack a tenant starts from.

Packs live in the control-plane database (engine/db/packs.py), so every host resolves every pinned
hash; nothing here reads or writes the data directory. The shipped pack (`settings.rule_pack`) is
read from the code's checkout only when a tenant without a pack first needs one (rare, so no cache).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.packs import PackStore
from engine.rules.pack import RulePack
from engine.service.config import Settings
from engine.service.pack_files import load_valid

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def shipped_pack_path(settings: Settings) -> Path:
    path = settings.rule_pack
    if not path.is_absolute() and not path.exists():
        path = REPO_ROOT / path  # started from another directory
    return path


def shipped_pack(settings: Settings) -> RulePack:
    """The configured pack a tenant with none starts from."""
    return load_valid(shipped_pack_path(settings))


async def ensure_active_pack(database: AsyncEngine, settings: Settings, tenant: str) -> str:
    """The tenant's active hash, activating the shipped pack for a tenant that has none.

    The common case is one primary-key read; the pack file is parsed (off the event loop) only
    for a tenant without a pack.
    """
    store = PackStore(database)
    active = await store.active_hash(tenant)
    if active is not None:
        return active
    pack = await asyncio.to_thread(shipped_pack, settings)
    return await store.ensure_active(tenant, pack, source=str(shipped_pack_path(settings)))
