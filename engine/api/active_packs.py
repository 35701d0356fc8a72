"""The pack hash each tenant's new conversations pin, cached per API process for a few seconds.

Every first message of a conversation needs its tenant's active pack hash; reading it from the
database each time is a query on the hot path of every message. A publish through this process
(POST /v1/rules/publish) clears its tenant's entry at once; a publish from elsewhere (the CLI,
another API replica) reaches new conversations within CACHE_SECONDS. Running conversations never
change pack either way: they keep the hash they pinned.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.packs import PackStore
from engine.rules.pack import RulePack
from engine.service.config import Settings
from engine.service.pack_store import ensure_active_pack

CACHE_SECONDS = 5.0


class ActivePacks:
    """Tenant -> active pack hash, each answer kept for `ttl` seconds of `clock`."""

    def __init__(
        self,
        database: AsyncEngine,
        settings: Settings,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._settings = settings
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, str]] = {}
        # Bumped by `forget`: a read that started before a publish must not store the old hash after it.
        self._generation = 0

    async def hash_for(self, tenant: str) -> str:
        """The tenant's active hash (the shipped pack activated for a tenant that has none)."""
        now = self._clock()
        cached = self._cache.get(tenant)
        if cached is not None and cached[0] > now:
            return cached[1]
        generation = self._generation
        digest = await ensure_active_pack(self._database, self._settings, tenant)
        if generation == self._generation:
            self._cache[tenant] = (now + self._ttl, digest)
        return digest

    async def pack_for(self, tenant: str) -> RulePack:
        """The tenant's active rule pack (the teams and skills the roster and assignments may name)."""
        return await PackStore(self._database).get(await self.hash_for(tenant))

    def forget(self, tenant: str) -> None:
        """This process published for `tenant`: its next new conversation reads the database."""
        self._generation += 1
        self._cache.pop(tenant, None)


ACTIVE_PACKS = web.AppKey("active_packs", ActivePacks)
