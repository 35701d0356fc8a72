"""The control-plane database of one process: opened from settings, migrated or checked at start.

The embedded default (a SQLite file in the data directory) migrates itself, so `make run` stays one
command. A cluster (CONVOFLOW_DATABASE_URL set) is migrated once per release with
`convoflow db upgrade`; its workers and API replicas only check they know the schema, so replicas
starting together never race to migrate.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.connection import check_current, open_engine, upgrade
from engine.service.config import Settings


def database_of(settings: Settings) -> AsyncEngine:
    """The process's engine (connections are opened lazily, pooled, and closed by `dispose`)."""
    return open_engine(settings.database)


async def prepare_database(settings: Settings) -> None:
    """Migrate the embedded database, or check a cluster's is on this code's schema."""
    engine = open_engine(settings.database)
    try:
        if settings.database_url is None:
            async with _migration_lock(settings.data_dir / "database.migrate.lock"):
                await upgrade(engine)
        else:
            await check_current(engine, settings.database)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def _migration_lock(path: Path) -> AsyncIterator[None]:
    """One migrating process per data directory at a time.

    `up`, or a worker and an API started together on embedded defaults, each migrate the same SQLite
    file: unserialised, two of them race to create alembic's version table and one dies.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = await asyncio.to_thread(os.open, path, os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
