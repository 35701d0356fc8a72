"""The control-plane database of one process: opened from settings, migrated or checked at start.

The embedded default (a SQLite file in the data directory) migrates itself, so `make run` stays one
command. A cluster (CONVOFLOW_DATABASE_URL set) is migrated once per release with
`convoflow db upgrade`; its workers and API replicas only check they know the schema, so replicas
starting together never race to migrate.
"""

from __future__ import annotations

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
            await upgrade(engine)  # one process at a time per SQLite file (engine.db.connection)
        else:
            await check_current(engine, settings.database)
    finally:
        await engine.dispose()
