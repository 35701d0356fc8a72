"""The processes a benchmark measures: the embedded dev server, a convoflow worker, a bare worker and
the API, each in its own process so psutil attributes CPU and memory to exactly one of them.

Children are started with `spawn` (a fresh interpreter: no state inherited from the bench process),
run until SIGTERM, and are stopped by the `child` context manager however the bench ends.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import psutil
from pydantic import SecretStr

from bench.stats import CpuSample
from engine.cli.main import exit_without_teardown
from engine.service.config import Settings
from engine.service.temporal_server import DevServer, free_port

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "bench-api-key"
TENANT = "bench"


@asynccontextmanager
async def dev_server(data_dir: Path | None = None) -> AsyncIterator[DevServer]:
    """A headless dev server; with `data_dir`, on a SQLite file there, with the timer settings `convoflow up`
    uses (`CONVOFLOW_EMBEDDED_FAST_TIMERS`, on by default)."""
    server = DevServer(
        db_file=data_dir / "temporal.db" if data_dir else None,
        grpc_port=free_port(),
        headless=True,
        fast_timers=Settings.model_fields["embedded_fast_timers"].default,
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def server_process(server: DevServer) -> psutil.Process:
    """The dev server's process (the `temporal` CLI running the whole server), for its CPU time."""
    process = server._process  # DevServer keeps its child private; the bench only reads its pid
    if process is None:
        raise RuntimeError("the dev server is not running")
    return psutil.Process(process.pid)


def bench_settings(server: DevServer, data_dir: Path, **overrides: Any) -> Settings:
    """Settings as deployed (payload encryption on), with rate limits off: the figures are latency."""
    values: dict[str, Any] = {
        "temporal_address": server.address,
        "data_dir": data_dir,
        "task_queue": "bench",
        "rule_pack": ROOT / "rule_packs" / "default",
        "api_host": "127.0.0.1",
        "api_port": free_port(),
        "rate_limit_tenant_per_minute": 0,
        "rate_limit_key_per_minute": 0,
        "rate_limit_rules_per_minute": 0,
        "payload_keys": SecretStr(_key_entry()),
    }
    return Settings(**{**values, **overrides})


def _key_entry() -> str:
    from engine.service.payload_keys import new_key_entry

    return new_key_entry("bench-1")


async def prepare(settings: Settings) -> str:
    """The control-plane database with the bench tenant; returns the tenant's active pack hash."""
    from engine.db.keys import ensure_tenant
    from engine.service.database import database_of, prepare_database
    from engine.service.pack_store import ensure_active_pack

    await prepare_database(settings)
    database = database_of(settings)
    try:
        await ensure_tenant(database, TENANT)
        return await ensure_active_pack(database, settings, TENANT)
    finally:
        await database.dispose()


async def store_pack(settings: Settings, pack: dict[str, Any]) -> str:
    """Validate `pack` (a pack document) and store it for the bench tenant, without making it active:
    conversations started with its hash use it. Returns the hash."""
    from engine.db.packs import PackStore
    from engine.rules.loader import load_object
    from engine.rules.validation import validate
    from engine.service.database import database_of

    valid, problems = validate(load_object(pack))
    if valid is None or problems:
        raise SystemExit(f"the bench's pack is not valid: {problems}")
    database = database_of(settings)
    try:
        return await PackStore(database).add_version(TENANT, valid, published_by="bench", source=None)
    finally:
        await database.dispose()


# --- process targets (module level: `spawn` pickles them by name) ---------------------------------


def _until_sigterm(setup: Callable[[], Any]) -> None:
    """Run the async context manager `setup()` returns until SIGTERM."""

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        async with await setup():
            await stop.wait()

    asyncio.run(main())
    exit_without_teardown()


def convoflow_worker(settings: Settings) -> None:
    """`convoflow worker`: the worker build_worker makes from these settings."""
    from engine.service.temporal_client import connect
    from engine.service.worker import build_worker

    async def setup() -> Any:
        return build_worker(await connect(settings), settings)

    _until_sigterm(setup)


def bare_worker(address: str, task_queue: str, max_cached_workflows: int = 1000) -> None:
    """The baseline worker: the bare workflows and their one activity, no codec, no rules."""
    from temporalio.client import Client
    from temporalio.worker import Worker

    from bench.bare_workflow import BareConversation, BareWorkflow, ShapedConversation, bare_step

    async def setup() -> Any:
        return Worker(
            await Client.connect(address),
            task_queue=task_queue,
            workflows=[BareWorkflow, BareConversation, ShapedConversation],
            activities=[bare_step],
            activity_executor=ThreadPoolExecutor(16),
            max_cached_workflows=max_cached_workflows,
        )

    _until_sigterm(setup)


def api(settings: Settings) -> None:
    """The API as `convoflow up` serves it, with one key for the bench tenant."""
    from engine.api.auth import KeyStore
    from engine.service.runtime import _start_api
    from engine.service.temporal_client import connect

    @asynccontextmanager
    async def serving() -> AsyncIterator[None]:
        keys = KeyStore()
        keys.add_key(TENANT, API_KEY)
        runner = await _start_api(await connect(settings), settings, keys)
        try:
            yield
        finally:
            await runner.cleanup()  # stops the pack workers too

    async def setup() -> Any:
        return serving()

    _until_sigterm(setup)


@contextmanager
def child(target: Callable[..., None], *args: Any) -> Iterator[psutil.Process]:
    """Run `target(*args)` in a spawned process for the duration of the block."""
    process = multiprocessing.get_context("spawn").Process(target=target, args=args)
    process.start()
    try:
        assert process.pid is not None
        yield psutil.Process(process.pid)
    finally:
        process.terminate()
        process.join(30)
        if process.is_alive():
            process.kill()
            process.join()


def cpu(processes: dict[str, psutil.Process]) -> CpuSample:
    """CPU seconds so far of each process and its children, by role."""
    seconds = {}
    for role, p in processes.items():
        total = 0.0
        for q in [p, *p.children(recursive=True)]:
            times = q.cpu_times()
            total += times.user + times.system
        seconds[role] = total
    return CpuSample(seconds)


async def wait_healthy(base: str, process: psutil.Process) -> None:
    """Until the API at `base` answers /healthz; fails at once if its process died."""
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            if not process.is_running() or process.status() == psutil.STATUS_ZOMBIE:
                raise RuntimeError("the API process exited at start (its traceback is above)")
            try:
                async with session.get(f"{base}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("the API did not start")


async def settle(process: psutil.Process, *, quiet_cpu: float = 0.02, within: float = 30.0) -> None:
    """Until `process` is idle: less than `quiet_cpu` CPU seconds in a half-second window."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    before = cpu({"p": process}).seconds["p"]
    while loop.time() < deadline:
        await asyncio.sleep(0.5)
        now = cpu({"p": process}).seconds["p"]
        if now - before < quiet_cpu:
            return
        before = now
