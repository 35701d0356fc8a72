"""Opening the database, applying migrations, and refusing a schema newer than this code.

Migrations run over the engine's own async connection (Alembic's connection-sharing recipe), so
`convoflow up` can apply them inside its event loop and tests can apply them to a fresh PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from engine.db.url import DatabaseUrlError, async_url, redacted
from engine.private_files import create_private, private_dir

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x636F6E766F  # "convo": the advisory lock migrations take on PostgreSQL


class SchemaError(RuntimeError):
    """The database's schema does not match this code; the message says what to do."""


class DatabaseUnreachable(ConnectionError):
    """The database did not answer (refused, down, a wrong host or password); the message names it."""


DATABASE_ERRORS = (SchemaError, DatabaseUrlError, SQLAlchemyError, DatabaseUnreachable)
"""What a command meets at the control-plane database: said in one line, never a traceback."""


def first_line(exc: BaseException) -> str:
    """The driver's own words (`database "x" does not exist`), without SQLAlchemy's link or the SQL
    and its parameters (they may quote customer data)."""
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


def open_engine(raw_url: str) -> AsyncEngine:
    """An async engine for an operator's URL. SQLite gets WAL (readers never wait for the writer),
    a busy timeout (several processes on one file wait instead of failing) and foreign keys.
    Statement parameters (addresses, message text) are hidden from errors: the SDK logs them."""
    url = async_url(raw_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            private_dir(Path(url.database).parent)
            create_private(Path(url.database))  # contacts, notes, secrets: 0600, its -wal and -shm too
        engine = create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    # A deleted row's bytes are overwritten, not left in a free page: an erasure (customer_requests)
    # leaves no readable trace in the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def code_heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


async def upgrade(engine: AsyncEngine) -> None:
    """Apply every migration this code has; refuses a database that is ahead of the code."""
    async with _sqlite_migration_lock(engine):
        await check_not_newer(engine)

        def run(connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

        async with engine.begin() as connection:
            if engine.url.get_backend_name() == "postgresql":
                # Hosts upgrading at once (a deploy's replicas) migrate one after the other: the
                # others found no alembic_version yet, created it too and failed on its key. PostgreSQL
                # runs DDL inside the transaction, so the next one finds the schema current.
                await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await connection.run_sync(run)


@contextlib.asynccontextmanager
async def _sqlite_migration_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Processes sharing one embedded SQLite file migrate one after the other.

    `convoflow worker` and `convoflow api` started together on a fresh data dir each migrate it, and
    SQLite runs DDL outside the migration's transaction: both would create the schema and the second
    one's alembic_version insert fails. A lock file beside the database serialises them (SQLite is
    one host's file, so a host-local lock is enough); the later process finds the schema current.
    """
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        yield
        return
    lock = os.open(f"{database}.migrate-lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        yield
    finally:
        os.close(lock)  # closing releases the lock


async def current_revisions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_heads()))


async def check_not_newer(engine: AsyncEngine) -> None:
    """A database migrated by newer code would be misread by this code: stop before touching it."""
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    unknown = await current_revisions(engine) - known
    if unknown:
        raise SchemaError(
            f"the database schema is newer than this convoflow (revision {', '.join(sorted(unknown))}): "
            "upgrade convoflow before starting it against this database"
        )


async def check_current(engine: AsyncEngine, raw_url: str) -> None:
    """Processes that do not migrate (workers, API replicas) start only on the schema they know."""
    await check_not_newer(engine)
    if await current_revisions(engine) != code_heads():
        raise SchemaError(
            f"the database at {redacted(raw_url)} is not migrated to this convoflow's schema: "
            "run `convoflow db upgrade` once per release (docker-compose's convoflow-migrate job does)"
        )
