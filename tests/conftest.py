"""Fixtures: one real Temporal dev server for the session, a task queue, worker and API per test."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr
from temporalio.client import Client

from engine.api.app import create_app
from engine.api.auth import KeyStore
from engine.db.connection import open_engine, upgrade
from engine.db.keys import ensure_tenant
from engine.db.packs import PackStore
from engine.service.config import Settings
from engine.service.database import database_of, prepare_database
from engine.service.pack_files import load_valid
from engine.service.payload_keys import check_key_material, keyring_of
from engine.service.temporal_client import connect, ensure_search_attributes
from engine.service.temporal_server import DevServer, TemporalBinaryNotFound, find_temporal_binary, free_port
from engine.service.worker import build_worker
from tests.api_client import ApiClient, api_key
from tests.databases import (  # noqa: F401 - fixtures for every test module
    database,
    database_url,
    fresh_database,
    postgres,
)
from tests.local_servers import serve_app
from tests.mail_server import dovecot  # noqa: F401 - the session's IMAP server, for every test module
from tests.outbox_rows import OutboxRows
from tests.payload_keys import TEST_PAYLOAD_KEYS
from tests.replay import replay_every_run

TEST_PACKS = Path(__file__).resolve().parent / "packs"


def pytest_report_header(config: pytest.Config) -> str:
    if os.environ.get("CONVOFLOW_TEST_DATABASE") == "postgresql":
        return (
            "PostgreSQL pass: the tests whose database `settings` chooses; the others are deselected "
            "(they need no database, or take both databases in every pass through `database_url`)"
        )
    return "SQLite pass: every test (the stores' tests on SQLite and PostgreSQL through `database_url`)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make test`'s second pass runs on PostgreSQL only what depends on the settings' database: a
    test without `settings` ran in the first pass already, whichever database it uses."""
    if os.environ.get("CONVOFLOW_TEST_DATABASE") != "postgresql":
        return
    kept = [item for item in items if "settings" in getattr(item, "fixturenames", ())]
    dropped = [item for item in items if "settings" not in getattr(item, "fixturenames", ())]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def publish(settings: Settings, pack: Path) -> str:
    """Make a pack active for the new conversations of the test's tenants (every tenant its API keys
    name); returns its hash. Sync for its many callers: it runs on a loop of its own in a thread."""
    keys = settings.api_keys.get_secret_value() if settings.api_keys else ""
    tenants = [pair.partition(":")[0] for pair in keys.split(",") if pair]
    loaded = load_valid(pack)

    async def publish_all() -> str:
        engine = database_of(settings)
        try:
            store = PackStore(engine)
            for tenant in tenants:
                await store.publish(tenant, loaded, published_by="test", source=str(pack))
            return loaded.content_hash
        finally:
            await engine.dispose()

    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, publish_all()).result()


@pytest.fixture(scope="session")
async def temporal_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevServer]:
    try:
        find_temporal_binary()
    except TemporalBinaryNotFound as exc:
        pytest.fail(str(exc), pytrace=False)
    server = DevServer(
        db_file=None,  # in memory: each test session starts clean
        grpc_port=free_port(),
        headless=True,
        fast_timers=True,
        log_file=tmp_path_factory.mktemp("temporal") / "server.log",
    )
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="session")
async def client(temporal_server: DevServer) -> Client:
    settings = Settings(temporal_address=temporal_server.address, payload_keys=SecretStr(TEST_PAYLOAD_KEYS))
    client = await connect(settings)
    await ensure_search_attributes(client)
    return client


@pytest.fixture
def tenants() -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    return {"acme": f"acme-{suffix}", "globex": f"globex-{suffix}"}


@pytest.fixture
async def settings(
    request: pytest.FixtureRequest, tmp_path: Path, temporal_server: DevServer, tenants: dict[str, str]
) -> Settings:
    """Per-test settings: own task queue, own data dir, own migrated database, two tenants.

    The database is a SQLite file in the data dir; with CONVOFLOW_TEST_DATABASE=postgresql it is a
    fresh database on the session's PostgreSQL instead (`make test` runs the suite both ways).
    """
    cluster_url = None
    if os.environ.get("CONVOFLOW_TEST_DATABASE") == "postgresql":
        cluster_url = SecretStr(fresh_database(request.getfixturevalue("postgres")))
    chosen = Settings(
        temporal_address=temporal_server.address,
        database_url=cluster_url,
        data_dir=tmp_path / "data",
        task_queue=f"{request.node.name}-{uuid.uuid4().hex[:8]}",
        api_keys=",".join(f"{tenant}:{api_key(tenant)}" for tenant in tenants.values()),
        update_timeout_seconds=15,
        rule_pack=TEST_PACKS / "basic",
        max_body_bytes=64 * 1024,
        payload_keys=SecretStr(TEST_PAYLOAD_KEYS),
    )
    if cluster_url is not None:
        engine = open_engine(chosen.database)
        await upgrade(engine)  # as `convoflow db upgrade` does for a cluster
        await engine.dispose()
    await prepare_database(chosen)
    control_plane = database_of(chosen)
    for tenant in tenants.values():  # as `convoflow up` creates the tenants its settings keys name
        await ensure_tenant(control_plane, tenant)
    await control_plane.dispose()
    return chosen


@pytest.fixture
def cli_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI reaches the same database as the test's API (the embedded SQLite in the data dir, or
    the test's PostgreSQL database)."""
    monkeypatch.setenv("CONVOFLOW_DATA_DIR", str(settings.data_dir))
    # Named even when it is the data directory's SQLite file: a CLI command against a cluster
    # (TEMPORAL_ADDRESS, as several tests set) refuses to guess its database.
    monkeypatch.setenv("CONVOFLOW_DATABASE_URL", settings.database)
    return settings


@pytest.fixture
async def shell(
    cli_settings: Settings, temporal_server: DevServer, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The CLI's environment: the test's database, Temporal server, task queue and keyring, of a
    service whose parts started with that keyring (they record its key ids: CLI commands do not)."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", temporal_server.address)
    monkeypatch.setenv("CONVOFLOW_TASK_QUEUE", cli_settings.task_queue)
    monkeypatch.setenv("CONVOFLOW_PAYLOAD_KEYS", TEST_PAYLOAD_KEYS)
    await check_key_material(cli_settings, keyring_of(cli_settings))
    return cli_settings


@pytest.fixture
def outbox(settings: Settings) -> OutboxRows:
    return OutboxRows(settings)


TEARDOWN_SECONDS = 90


@pytest.fixture
async def worker(client: Client, settings: Settings) -> AsyncIterator[None]:
    """A worker for the test's queue; when it stops, every history it produced must replay.

    Only for tests that start a conversation: with no run on the queue the replay check fails.
    """
    await check_key_material(settings, keyring_of(settings))  # as a worker starting records its keys
    running = build_worker(client, settings)
    await running.__aenter__()
    try:
        yield
    finally:
        # Bounded: a teardown that hung (after a failure, on a loaded CI machine) held the whole
        # PostgreSQL pass for half an hour, and pytest-timeout's alarm did not end it.
        try:
            async with asyncio.timeout(TEARDOWN_SECONDS):
                await running.__aexit__(None, None, None)
        except TimeoutError:
            raise AssertionError(f"the worker did not shut down within {TEARDOWN_SECONDS} s") from None
    try:
        async with asyncio.timeout(TEARDOWN_SECONDS):
            await replay_every_run(client, settings.task_queue)
    except TimeoutError:
        raise AssertionError(f"replaying the test's runs took over {TEARDOWN_SECONDS} s") from None


@contextlib.asynccontextmanager
async def serve_api(client: Client, settings: Settings, tenants: dict[str, str]) -> AsyncIterator[ApiClient]:
    """The real API app on a free 127.0.0.1 port, and a client speaking to it."""
    async with (
        serve_app(create_app(client, settings, KeyStore.from_settings(settings))) as server,
        aiohttp.ClientSession() as session,
    ):
        api_client = ApiClient(str(server.make_url("")).rstrip("/"), session, tenants)
        api_client.app = server.app
        yield api_client


@contextlib.asynccontextmanager
async def serve_service(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> AsyncIterator[ApiClient]:
    """Worker and API for settings a test chose; every history replays when the worker stops."""
    async with build_worker(client, settings), serve_api(client, settings, tenants) as api_client:
        yield api_client
    await replay_every_run(client, settings.task_queue)


@pytest.fixture
async def api(client: Client, settings: Settings, tenants: dict[str, str]) -> AsyncIterator[ApiClient]:
    async with serve_api(client, settings, tenants) as api_client:
        yield api_client
