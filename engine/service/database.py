"""The control-plane database of one process: opened from settings, migrated or checked at start.

A SQLite file (the embedded default in the data directory, or one named for the parts of one host)
migrates itself, so `make run` stays one command. A PostgreSQL database is migrated once per release
with `convoflow db upgrade`; its workers and API replicas only check they know the schema, so replicas
starting together never race to migrate.
"""

from __future__ import annotations

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.connection import DatabaseUnreachable, check_current, first_line, open_engine, upgrade
from engine.db.url import redacted
from engine.service.config import Settings


def database_of(settings: Settings) -> AsyncEngine:
    """The process's engine (connections are opened lazily, pooled, and closed by `dispose`)."""
    return open_engine(settings.database)


class NoSharedDatabase(ValueError):
    """A part of a cluster would use a database of its own (the data directory's SQLite file)."""


def require_shared_database(settings: Settings) -> None:
    """A worker, API or CLI command against a cluster (TEMPORAL_ADDRESS) names its database: with
    the embedded default each had a private SQLite file, so a worker found no pack another host
    published and its conversations stalled, and `rules publish` or `key create` wrote where no
    host would read, without a word."""
    if not settings.embedded and settings.database_url is None:
        raise NoSharedDatabase(
            "TEMPORAL_ADDRESS is set but CONVOFLOW_DATABASE_URL is not: the parts of a cluster share "
            "one control-plane database (postgresql://...; sqlite:///path for parts on one host)"
        )


async def prepare_database(settings: Settings) -> None:
    """Migrate the embedded database, or check a cluster's is on this code's schema."""
    engine = open_engine(settings.database)
    try:
        if engine.url.get_backend_name() == "sqlite":  # the embedded default, or one host's parts
            await upgrade(engine)  # one process at a time per SQLite file (engine.db.connection)
        else:
            await check_current(engine, settings.database)
    except (OSError, OperationalError, InterfaceError) as exc:
        if not _unreachable(exc):  # a locked SQLite file, a failed migration: said as they are
            raise
        # Said naming the setting: "[Errno 111] Connect call failed ('127.0.0.1', 38999)" left an
        # operator to guess which of the parts' servers it was.
        setting = (
            "CONVOFLOW_DATABASE_URL" if settings.database_url is not None else "the embedded SQLite file"
        )
        raise DatabaseUnreachable(
            f"the database at {redacted(settings.database)} ({setting}) did not answer: "
            f"{type(exc).__name__}: {first_line(exc)}"
        ) from None
    finally:
        await engine.dispose()


def _unreachable(exc: BaseException) -> bool:
    """Whether the database could not be reached at all: refused, down, unknown host."""
    return isinstance(exc, OSError) or isinstance(getattr(exc, "orig", None), OSError)
