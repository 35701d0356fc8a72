"""A dev server whose own port pick was taken meanwhile is started again, not given up on.

`temporal server start-dev` picks its HTTP API, metrics and cluster ports itself: each a port found
free and bound a moment later. A connection opened in between (the tests open thousands) can take
it, and the server exits at start. That happened to this suite's session-wide server once, which
fails every test of the run. Here the first start is given an HTTP API port another socket listens
on, as the race leaves it; the real CLI exits on it, and the second start picks its own.
"""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from engine.service import temporal_server
from engine.service.temporal_server import DevServer, find_temporal_binary, free_port


def first_start_on_a_taken_port(tmp_path: Path, taken: int) -> Path:
    """A `temporal` that runs the real one, on the taken HTTP API port the first time only."""
    wrapper = tmp_path / "temporal"
    starts, real = tmp_path / "starts", find_temporal_binary()
    wrapper.write_text(
        "#!/bin/sh\n"
        f'echo start >> "{starts}"\n'
        f'if [ "$(wc -l < "{starts}")" -eq 1 ]; then exec "{real}" "$@" --http-port {taken}; fi\n'
        f'exec "{real}" "$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper


async def test_a_server_that_exits_on_a_taken_port_is_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        wrapper = first_start_on_a_taken_port(tmp_path, holder.getsockname()[1])
        monkeypatch.setattr(temporal_server, "find_temporal_binary", lambda: wrapper)
        log = tmp_path / "server.log"
        server = DevServer(db_file=None, grpc_port=free_port(), headless=True, log_file=log)
        await server.start()
        try:
            client = await Client.connect(server.address)
            await client.workflow_service.get_system_info(GetSystemInfoRequest())
        finally:
            await server.stop()
    assert (tmp_path / "starts").read_text().count("start") == 2
    assert "address already in use" in log.read_text()  # the first start really failed on the port


async def test_a_server_that_always_exits_at_start_is_given_up_after_a_few_tries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "temporal"
    broken.write_text(f'#!/bin/sh\necho start >> "{tmp_path / "starts"}"\nexit 3\n')
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(temporal_server, "find_temporal_binary", lambda: broken)
    server = DevServer(db_file=None, grpc_port=free_port(), headless=True)
    with pytest.raises(RuntimeError, match="exited with code 3 at start"):
        await server.start()
    assert (tmp_path / "starts").read_text().count("start") == temporal_server.START_ATTEMPTS
