"""The control-plane database: migrations on SQLite and a real PostgreSQL, refusals, the CLI."""

from __future__ import annotations

import asyncio
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import create_engine, inspect, text

from engine.db.connection import (
    SchemaError,
    check_current,
    code_heads,
    current_revisions,
    open_engine,
    upgrade,
)
from engine.db.schema import metadata
from engine.db.url import DatabaseUrlError, async_url, redacted
from engine.private_files import append_private, create_private
from engine.service.config import Settings
from engine.service.database import prepare_database
from engine.service.payload_keys import KeyringError, check_key_material, keyring_of, new_key_entry
from tests.cli_run import run_cli

TABLES = set(metadata.tables)


async def table_names(url: str) -> set[str]:
    engine = open_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_upgrade_creates_every_table_and_runs_again_as_a_no_op(database_url: str) -> None:
    engine = open_engine(database_url)
    try:
        with pytest.raises(SchemaError, match="convoflow db upgrade"):
            await check_current(engine, database_url)
        await upgrade(engine)
        await upgrade(engine)
        await check_current(engine, database_url)
        assert await current_revisions(engine) == code_heads()
    finally:
        await engine.dispose()
    assert TABLES <= await table_names(database_url)


async def test_a_migration_interrupted_half_way_runs_again_to_the_end(database_url: str) -> None:
    """SQLite commits each CREATE on its own: a crash can leave some tables and no revision."""
    engine = open_engine(database_url)
    try:
        partial = [metadata.tables["tenants"], metadata.tables["delivery_ledger"]]
        async with engine.begin() as connection:
            await connection.run_sync(lambda c: metadata.create_all(c, tables=partial))
        assert await current_revisions(engine) == set()
        await upgrade(engine)
        assert await current_revisions(engine) == code_heads()
    finally:
        await engine.dispose()
    assert TABLES <= await table_names(database_url)


async def test_a_schema_newer_than_the_code_is_refused(database_url: str) -> None:
    engine = open_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
        with pytest.raises(SchemaError, match=r"newer than this convoflow .*9999_from_the_future"):
            await upgrade(engine)
    finally:
        await engine.dispose()


async def test_commands_on_a_schema_of_another_release_say_so_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """`rules list`, `history`, `publish` ended in a SchemaError traceback where `tenant` said one
    line, and `kpi report` blamed Temporal ("Temporal: SchemaError") for the database's schema."""
    engine = open_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    finally:
        await engine.dispose()
    monkeypatch.setenv("CONVOFLOW_DATABASE_URL", database_url)
    for args in (
        ["rules", "list"],
        ["rules", "history"],
        ["rules", "publish", "rule_packs/default"],
        ["kpi", "report", "--tenant", "dev", "--from", "2026-12-01", "--to", "2026-12-02"],
    ):
        done = await asyncio.to_thread(run_cli, capsys, args)
        assert done.returncode == 1, (args, done)
        assert "database: " in done.stderr and "9999_from_the_future" in done.stderr, (args, done.stderr)
        assert "Temporal" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


async def test_hosts_upgrading_at_once_each_find_the_schema_current(database_url: str) -> None:
    """A deploy's replicas run `convoflow db upgrade` together: on PostgreSQL two of three failed
    with a UniqueViolation on alembic_version (SQLite had its lock file already)."""
    engines = [open_engine(database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade(engine) for engine in engines))
        assert await current_revisions(engines[0]) == code_heads()
    finally:
        for engine in engines:
            await engine.dispose()


def test_the_cli_upgrades_and_reports_the_schema(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    monkeypatch.setenv("CONVOFLOW_DATABASE_URL", database_url)
    before = run_cli(capsys, ["db", "current"])
    # Behind this code: exit 1, so a deploy script can gate on it (it answered 0).
    assert before.returncode == 1 and "none (run `convoflow db upgrade`)" in before.stdout
    done = run_cli(capsys, ["db", "upgrade"])
    assert done.returncode == 0, done.stderr
    after = run_cli(capsys, ["db", "current"])
    head = ", ".join(sorted(code_heads()))
    assert after.returncode == 0 and f"schema at {head}; this convoflow has {head}" in after.stdout


def test_a_database_that_is_not_there_is_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, postgres: Any
) -> None:
    """The most common first-run mistakes: a ~170-line SQLAlchemy traceback for each."""
    monkeypatch.setenv("CONVOFLOW_DATABASE_URL", postgres.get_uri("no_such_db"))
    for command in ("current", "upgrade"):
        run = run_cli(capsys, ["db", command])
        assert run.returncode == 1, run
        assert run.stderr == 'convoflow db: the database refused: database "no_such_db" does not exist\n'


def test_operators_write_postgres_urls_as_postgres_tools_take_them() -> None:
    assert async_url("postgresql://app:s3cret@db:5432/convoflow").drivername == "postgresql+asyncpg"
    socket = async_url("postgresql://app@/convoflow?host=/run/postgresql")
    assert socket.query["host"] == "/run/postgresql" and socket.database == "convoflow"
    assert async_url("sqlite:////tmp/x.sqlite").drivername == "sqlite+aiosqlite"
    with pytest.raises(DatabaseUrlError, match="unsupported database 'mysql'"):
        async_url("mysql://app@db/convoflow")
    assert "s3cret" not in redacted("postgresql://app:s3cret@db:5432/convoflow")
    # A managed service's URL: asyncpg's connect() took `sslmode` as an unknown argument (TypeError).
    assert async_url("postgresql://app:pw@db:5432/convoflow?sslmode=require").query == {"ssl": "require"}


def test_an_unencoded_at_in_a_password_is_refused_and_never_shown() -> None:
    """`p@ssWORD`: the parser split at the first '@', so `ssWORD@` was the host: every log line and
    error showed it ("postgresql://postgres:***@ssWORD@/db") and the connection failed as a DNS error."""
    raw = "postgresql://postgres:p@ssWORD@/older2?host=/run/postgresql"
    with pytest.raises(DatabaseUrlError, match="percent-encode it") as refused:
        async_url(raw)
    assert "ssWORD" not in str(refused.value)
    assert redacted(raw) == "postgresql://postgres:***@/older2?host=/run/postgresql"
    assert async_url("postgresql://postgres:p%40ssWORD@/older2?host=/run/postgresql").password == "p@ssWORD"
    assert async_url("sqlite:////home/a@b/x@y.sqlite").database == "/home/a@b/x@y.sqlite"  # a path


def test_a_bad_database_url_is_one_line_naming_the_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVOFLOW_DATABASE_URL", "mysql://app:s3cret@db/convoflow")
    run = run_cli(capsys, ["db", "upgrade"])
    assert (
        run.returncode == 2
        and "CONVOFLOW_DATABASE_URL" in run.stderr
        and "s3cret" not in run.stderr + run.stdout
    )


def test_processes_starting_together_on_one_embedded_database_all_migrate_it(tmp_path: Path) -> None:
    """`make run`'s worker, worker and API start at once on a fresh data dir: none may fail the race.

    Each thread is a process's start (its own event loop, engine and lock file descriptor).
    """
    for attempt in range(4):
        settings = Settings(data_dir=tmp_path / f"data-{attempt}", database_url=None)
        with ThreadPoolExecutor(6) as starts:
            outcomes = list(starts.map(lambda s: asyncio.run(prepare_database(s)), [settings] * 6))
        assert outcomes == [None] * 6


def test_an_operator_lists_the_payload_key_ids_and_forgets_a_mistaken_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """The first part to start with a key id records its key's fingerprint; when that part had the
    wrong key, every correct part was refused and the only way out was SQL in the README."""
    monkeypatch.setenv("CONVOFLOW_DATABASE_URL", database_url)
    assert run_cli(capsys, ["db", "upgrade"]).returncode == 0
    right, wrong = new_key_entry("k1"), new_key_entry("k1")
    mistaken = Settings(
        database_url=SecretStr(database_url), payload_keys=SecretStr(f"{wrong},{new_key_entry('k2')}")
    )
    asyncio.run(check_key_material(mistaken, keyring_of(mistaken)))  # the first part up had the typo
    correct = mistaken.model_copy(update={"payload_keys": SecretStr(right)})
    with pytest.raises(KeyringError, match=r"payload key id\(s\) k1 hold another key"):
        asyncio.run(check_key_material(correct, keyring_of(correct)))

    monkeypatch.setenv("CONVOFLOW_PAYLOAD_KEYS", right)  # this shell's keys: the right ones
    listed = run_cli(capsys, ["db", "payload-keys"])
    assert listed.returncode == 0, listed.stderr
    header, k1, k2 = listed.stdout.splitlines()
    assert header.split()[:2] == ["KEY", "ID"]
    assert k1.startswith("k1 ") and k1.endswith("ANOTHER KEY: refused at start")
    assert k2.startswith("k2 ") and k2.endswith("not listed")
    assert wrong.split(":", 1)[1] not in listed.stdout and right.split(":", 1)[1] not in listed.stdout

    forgot = run_cli(capsys, ["db", "forget-payload-key", "k1"])
    assert forgot.returncode == 0 and forgot.stdout.startswith("forgot payload key id k1's fingerprint")
    asyncio.run(check_key_material(correct, keyring_of(correct)))  # starts now, and records its key
    assert run_cli(capsys, ["db", "payload-keys"]).stdout.splitlines()[1].endswith("same key")
    kept = run_cli(capsys, ["db", "forget-payload-key", "k1"])  # this shell's key: not the mistake
    assert kept.returncode == 1 and "recorded key is the one this shell holds" in kept.stderr
    again = run_cli(capsys, ["db", "forget-payload-key", "k9"])
    assert again.returncode == 1
    assert again.stderr == "convoflow db: no fingerprint is recorded for payload key id 'k9'\n"


def test_payload_keys_needs_the_service_s_database_on_this_schema(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """In a shell with no settings `db payload-keys` made ./data/convoflow.sqlite and answered "no
    such table: payload_key_fingerprints"; it also read a schema migrated by a newer release."""
    monkeypatch.delenv("CONVOFLOW_DATABASE_URL", raising=False)
    monkeypatch.setenv("CONVOFLOW_DATA_DIR", str(tmp_path / "data"))
    nowhere = run_cli(capsys, ["db", "payload-keys"])
    assert nowhere.returncode == 1 and nowhere.stderr.startswith(
        f"convoflow db: no database at {tmp_path / 'data' / 'convoflow.sqlite'}: run this with the settings"
    ), nowhere.stderr
    assert not (tmp_path / "data").exists()
    url = f"sqlite:///{tmp_path / 'newer.sqlite'}"
    monkeypatch.setenv("CONVOFLOW_DATABASE_URL", url)
    assert run_cli(capsys, ["db", "upgrade"]).returncode == 0
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    newer = run_cli(capsys, ["db", "payload-keys"])
    assert newer.returncode == 2 and "newer than this convoflow" in newer.stderr, newer.stderr


def test_an_earlier_install_s_database_and_outbox_mirror_become_the_owner_s(tmp_path: Path) -> None:
    """Files made before the data directory was private stayed 0644: any user read the contacts."""
    database, wal, mirror = (
        tmp_path / "convoflow.sqlite",
        tmp_path / "convoflow.sqlite-wal",
        tmp_path / "m.jsonl",
    )
    for made in (database, wal, mirror):
        made.write_bytes(b"")
        made.chmod(0o644)
    create_private(database)
    append_private(mirror).close()
    assert [stat.S_IMODE(f.stat().st_mode) for f in (database, wal, mirror)] == [0o600] * 3
