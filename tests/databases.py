"""Real databases for store tests: a SQLite file, and a private PostgreSQL 16 from the `pgserver`
package (its own cluster in a temp dir, reached over a unix socket; started once per session)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.connection import open_engine, upgrade

INSTALL_HINT = "PostgreSQL tests need the `pgserver` package: `make test` installs it (requirements-dev.txt)"


def start_postgres(root: Path) -> Any:
    try:
        import pgserver
    except ImportError:
        pytest.fail(INSTALL_HINT, pytrace=False)
    return pgserver.get_server(root, cleanup_mode="stop")


def fresh_database(server: Any) -> str:
    """A new, empty database on the session's PostgreSQL, as an operator would write its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    server.psql(f"CREATE DATABASE {name};")
    return server.get_uri(name)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    # Not under pytest's basetemp: pytest keeps only its three latest session folders, so a second
    # suite started on the same machine (a developer's, another checkout's) would delete this
    # server's data and socket mid-run.
    root = Path(tempfile.mkdtemp(prefix="convoflow-pg-"))
    server = start_postgres(root)
    yield server
    server.cleanup()
    # Removed when the session's process exits, not here: a session fixture's teardown counts against
    # the last test's timeout, and deleting the cluster's files took over 120 s on a machine whose
    # disk several suites were filling.
    atexit.register(shutil.rmtree, root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database of each kind the service supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'control.sqlite'}"
    return fresh_database(request.getfixturevalue("postgres"))


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated engine on each kind of database (`database_url`), disposed after the test."""
    engine = open_engine(database_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()
