"""The service under test as real processes: a Temporal dev server, N workers and one API.

Why processes and not the in-process worker the other benchmarks use: the failures the chaos
benchmark is about (a worker dying between a send and its ledger record, an API dying after Temporal
accepted an update but before the client heard back, a server restart dropping in-flight updates)
only happen when each part can die on its own. Every part is started exactly as an operator would
(`python -m engine.cli worker|api`, `temporal server start-dev --db-filename ...`), configured only
through the environment, each in its own process group so a SIGKILL takes the whole part down.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.service.payload_keys import new_key_entry
from engine.service.temporal_server import DevServer, free_port

ROOT = Path(__file__).resolve().parent.parent
TENANT = "bench"
API_KEY = "bench-chaos-key"
PAYLOAD_KEYS = new_key_entry("bench-1")  # one keyring per benchmark run, shared by every part
GATEWAY_SECRET = "bench-chaos-secret"


@dataclass
class ServiceProcess:
    """One `convoflow worker` or `convoflow api` child that can be SIGKILLed and started again.

    Ready means it printed its start-up line (the worker polls, the API listens): both print it only
    after connecting to Temporal, so a restart is complete when `start` returns.
    """

    name: str
    command: str
    env: dict[str, str]
    log_path: Path
    ready_marker: str
    starts: int = 0
    _process: asyncio.subprocess.Process | None = field(default=None, init=False, repr=False)
    _pump: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    async def start(self, ready_within: float = 60.0) -> None:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "engine.cli",
            self.command,
            env=self.env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1
        ready = asyncio.Event()
        self._pump = asyncio.create_task(self._copy_output(self._process, ready))
        exited = asyncio.create_task(self._process.wait())
        waiting = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait({exited, waiting}, timeout=ready_within, return_when="FIRST_COMPLETED")
        for task in (exited, waiting):
            if task not in done:
                task.cancel()
        if waiting not in done:
            raise RuntimeError(f"{self.name} did not start (see {self.log_path})")

    async def _copy_output(self, process: asyncio.subprocess.Process, ready: asyncio.Event) -> None:
        """Copy the child's output to its log file; the start-up line marks it ready."""
        assert process.stdout is not None
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts} at {time.strftime('%H:%M:%S')}\n".encode())
            async for line in process.stdout:
                log.write(line)
                if self.ready_marker.encode() in line:
                    ready.set()
                    log.flush()

    async def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown hook, no flush, as a crashed host would."""
        await self._signal(signal.SIGKILL, grace=10.0)

    async def stop(self) -> None:
        """SIGTERM (the worker drains, the API closes), SIGKILL after 10 s."""
        await self._signal(signal.SIGTERM, grace=10.0)

    async def _signal(self, sig: signal.Signals, grace: float) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        if self._pump is not None:
            await self._pump


@dataclass
class WalDevServer(DevServer):
    """The embedded dev server on a SQLite file in WAL mode with `synchronous=NORMAL`.

    Why: with SQLite's defaults every Temporal write waits for several fsyncs, and the benchmark then
    measures the disk. WAL + NORMAL still survives the death of any process (what this benchmark
    does to it); only a power cut could lose the last transactions, which no run here causes.
    """

    pragmas: tuple[str, ...] = ("journal_mode=wal", "synchronous=normal")

    def command(self) -> list[str]:
        return [*super().command(), *(arg for p in self.pragmas for arg in ("--sqlite-pragma", p))]


@dataclass
class Stack:
    """Temporal, the workers and the API over one data directory, with a webhook gateway configured."""

    data_dir: Path
    temporal: DevServer
    workers: list[ServiceProcess]
    api: ServiceProcess
    api_url: str
    env: dict[str, str]
    postgres: Any = None

    @classmethod
    def build(cls, data_dir: Path, *, workers: int, gateway_url: str, database: str = "sqlite") -> Stack:
        temporal = WalDevServer(
            db_file=data_dir / "temporal.db",  # a file, so a restart keeps every conversation
            grpc_port=free_port(),
            headless=True,
            log_file=data_dir / "temporal.log",
        )
        api_port = free_port()
        env = service_env(
            data_dir=data_dir, temporal_address=temporal.address, api_port=api_port, gateway_url=gateway_url
        )
        postgres = None
        if database == "postgresql":
            postgres = start_postgres(data_dir / "postgres")
            env["CONVOFLOW_DATABASE_URL"] = postgres.get_uri("convoflow")
        return cls(
            data_dir=data_dir,
            temporal=temporal,
            workers=[
                ServiceProcess(
                    f"worker-{i + 1}", "worker", env, data_dir / f"worker-{i + 1}.log", "convoflow worker"
                )
                for i in range(workers)
            ],
            api=ServiceProcess("api", "api", env, data_dir / "api.log", "convoflow API on"),
            api_url=f"http://127.0.0.1:{api_port}",
            env=env,
            postgres=postgres,
        )

    async def start(self) -> None:
        await self.temporal.start()
        await self.migrate()
        await asyncio.gather(self.api.start(), *(w.start() for w in self.workers))

    async def migrate(self) -> None:
        """`convoflow db upgrade` once, as an operator does before starting a release's processes."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "engine.cli",
            "db",
            "upgrade",
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"convoflow db upgrade failed: {output.decode(errors='replace')}")

    async def stop(self) -> None:
        await asyncio.gather(self.api.stop(), *(w.stop() for w in self.workers), return_exceptions=True)
        await self.temporal.stop()
        if self.postgres is not None:
            self.postgres.cleanup()

    async def kill_worker(self, index: int) -> None:
        """SIGKILL one worker and start it again: what it held (cached workflows, running activities,
        sends not yet in the ledger) is lost and must be recovered by Temporal's timeouts and retries."""
        worker = self.workers[index % len(self.workers)]
        await worker.kill()
        await worker.start()

    async def restart_temporal(self) -> None:
        """SIGTERM the server and start it on the same database file and port."""
        await self.temporal.stop()
        await self.temporal.start()

    async def restart_api(self) -> None:
        """SIGKILL the API and start it on the same port: requests in flight get no answer."""
        await self.api.kill()
        await self.api.start()


def start_postgres(root: Path) -> Any:
    """A private PostgreSQL 16 (the `pgserver` package) with an empty `convoflow` database."""
    import pgserver  # a development dependency, like this benchmark

    root.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(root, cleanup_mode="stop")
    server.psql("CREATE DATABASE convoflow;")
    return server


def service_env(*, data_dir: Path, temporal_address: str, api_port: int, gateway_url: str) -> dict[str, str]:
    """The environment every part runs with; inherited CONVOFLOW_/TEMPORAL_ settings are dropped so the
    benchmark measures this configuration and nothing from the caller's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONVOFLOW_", "TEMPORAL_"))}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "TEMPORAL_ADDRESS": temporal_address,
            "CONVOFLOW_DATA_DIR": str(data_dir),
            "CONVOFLOW_TASK_QUEUE": "chaos",
            "CONVOFLOW_API_HOST": "127.0.0.1",
            "CONVOFLOW_API_PORT": str(api_port),
            "CONVOFLOW_API_KEYS": f"{TENANT}:{API_KEY}",
            "CONVOFLOW_PAYLOAD_KEYS": PAYLOAD_KEYS,
            "CONVOFLOW_RULE_PACK": str(ROOT / "rule_packs" / "default"),
            "CONVOFLOW_GATEWAY_URL": gateway_url,
            "CONVOFLOW_GATEWAY_SECRET": GATEWAY_SECRET,
            "CONVOFLOW_LOG_LEVEL": "WARNING",
        }
    )
    return env
