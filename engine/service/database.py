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
            async with migration_lock(settings.data_dir):
                await upgrade(engine)
        else:
            await check_current(engine, settings.database)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def migration_lock(data_dir: Path) -> AsyncIterator[None]:
    """One migrating process at a time per data directory.

    `convoflow worker`, `convoflow worker` and `convoflow api` started together on one embedded
    database would otherwise all apply the first migration at once, and all but one fail on
    alembic_version's unique constraint. They share the data directory by definition, so a file
    lock there serializes them; the later ones then find the schema current (a no-op).
    """
    descriptor = await asyncio.to_thread(_lock_file, data_dir)
    try:
        await asyncio.to_thread(fcntl.flock, descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _lock_file(data_dir: Path) -> int:
    data_dir.mkdir(parents=True, exist_ok=True)
    return os.open(data_dir / "control-db.migrate.lock", os.O_RDWR | os.O_CREAT, 0o600)
