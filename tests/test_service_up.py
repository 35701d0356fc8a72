"""`convoflow up` as `make run` starts it: a real process with its own dev server, worker and API."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from pydantic import SecretStr

from engine.service import runtime
from engine.service.config import Settings
from engine.service.temporal_server import DevServer, free_port, port_in_use
from tests.outbox_rows import OutboxRows
from tests.payload_keys import TEST_PAYLOAD_KEYS

UP_TIMEOUT = 60


def start_up(
    data_dir: Path,
    api_port: int,
    grpc_port: int,
    ui_port: int | None = None,
    *,
    own_group: bool = False,
    extra: dict[str, str] | None = None,
) -> subprocess.Popen:
    env = {
        **os.environ,
        **(extra or {}),
        "CONVOFLOW_DATA_DIR": str(data_dir),
        "CONVOFLOW_API_PORT": str(api_port),
        "CONVOFLOW_EMBEDDED_GRPC_PORT": str(grpc_port),
        "CONVOFLOW_EMBEDDED_UI_PORT": str(ui_port or free_port()),
        "CONVOFLOW_EMBEDDED_FAST_TIMERS": "true",
        "CONVOFLOW_RULE_PACK": str(Path(__file__).parent / "packs" / "basic"),
    }
    for name in ("TEMPORAL_ADDRESS", "CONVOFLOW_API_KEYS", "CONVOFLOW_API_KEYS_FILE"):
        env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=own_group,  # its own process group, as a terminal's foreground job
    )


def read_banner(process: subprocess.Popen) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + UP_TIMEOUT
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError("convoflow up exited early:\n" + "".join(lines))
        lines.append(line)
        if line.startswith("Press Ctrl-C"):
            return lines
    raise AssertionError("convoflow up printed no banner in time:\n" + "".join(lines))


def call(method: str, url: str, key: str, body: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        method=method,
        data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return resp.status, json.loads(resp.read())


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    return out


def temporal_children(data_dir: Path) -> list[str]:
    found = subprocess.run(["pgrep", "-f", str(data_dir / "temporal.db")], capture_output=True, text=True)
    return found.stdout.split()


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (an orphan's zombie waits for a reaper we do not control)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(predicate, within: float, poll: float = 0.05) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return predicate()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="parent-death signal is Linux only")
def test_killed_up_takes_its_temporal_child_with_it(tmp_path: Path) -> None:
    """`kill -9` of `convoflow up` leaves no dev server behind for the next start to adopt."""
    data_dir = tmp_path / "data"
    api_port, grpc_port = free_port(), free_port()
    process = start_up(data_dir, api_port, grpc_port)
    children: list[str] = []
    try:
        read_banner(process)
        children = temporal_children(data_dir)
        assert len(children) == 1, children
        process.kill()
        process.wait(timeout=10)
        assert wait_until(lambda: not alive(int(children[0])), within=15), (
            f"temporal dev server {children[0]} outlived its killed parent"
        )
        # The next `make run` gets the ports, and the database as the killed server left it.
        process = start_up(data_dir, api_port, grpc_port)
        read_banner(process)
        out = stop(process)
        assert process.returncode == 0, out
    finally:
        if process.poll() is None:
            process.kill()
        for pid in temporal_children(data_dir):  # clean up after a failure
            os.kill(int(pid), signal.SIGKILL)


def serve_plain_socket(port: int) -> socket.socket:
    listener = socket.socket()
    listener.bind(("127.0.0.1", port))
    listener.listen()
    return listener


@pytest.mark.parametrize("taken", ["grpc", "ui", "api"])
def test_up_refuses_a_port_another_process_listens_on(tmp_path: Path, taken: str) -> None:
    """The API's port was found taken when the API bound it, after Temporal and the worker had
    started: a traceback of asyncio's bind error, ten seconds in."""
    grpc_port, ui_port, api_port = free_port(), free_port(), free_port()
    port = {"grpc": grpc_port, "ui": ui_port, "api": api_port}[taken]
    data_dir = tmp_path / "data"
    with serve_plain_socket(port):
        process = start_up(data_dir, api_port, grpc_port, ui_port)
        try:
            out, _ = process.communicate(timeout=UP_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert process.returncode not in (0, None), out
    assert f"port {port} is already in use" in out, out
    setting = {
        "grpc": "CONVOFLOW_EMBEDDED_GRPC_PORT",
        "ui": "CONVOFLOW_EMBEDDED_UI_PORT",
        "api": "CONVOFLOW_API_PORT",
    }
    assert setting[taken] in out and "Traceback" not in out, out
    assert temporal_children(data_dir) == []


class StartedThenStopped(Exception):
    """Ends `up` right after its dev server started: the test has seen what it came for."""


async def test_up_listens_on_its_api_and_metrics_ports_before_temporal_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dev server binds its HTTP API and metrics on ports the kernel picks at random, and `up`
    bound the API's port only after it: a port found free a moment before could be the dev server's
    by then ("API port ... is already in use", seen in CI on a second `up`). Both ports now listen
    before the dev server starts, and a start that fails gives them back."""
    api_port, metrics_port = free_port(), free_port()
    held_at_temporal_start: dict[str, bool] = {}
    real_start = DevServer.start

    async def start_observed(server: DevServer, ready_within: float = 30.0) -> None:
        held_at_temporal_start["api"] = port_in_use("127.0.0.1", api_port)
        held_at_temporal_start["worker metrics"] = port_in_use("127.0.0.1", metrics_port)
        await real_start(server, ready_within)
        raise StartedThenStopped

    monkeypatch.setattr(DevServer, "start", start_observed)
    settings = Settings(
        data_dir=tmp_path / "data",
        temporal_address=None,
        api_port=api_port,
        worker_metrics_port=metrics_port,
        embedded_grpc_port=free_port(),
        embedded_ui_port=free_port(),
    )
    with pytest.raises(StartedThenStopped):
        await runtime.up(settings)
    assert held_at_temporal_start == {"api": True, "worker metrics": True}
    assert not port_in_use("127.0.0.1", api_port) and not port_in_use("127.0.0.1", metrics_port)
    assert temporal_children(settings.data_dir) == []


def test_up_does_not_adopt_a_leftover_temporal_server(tmp_path: Path, temporal_server: DevServer) -> None:
    """The case behind the finding: a dev server left on the port by an earlier, killed run."""
    data_dir = tmp_path / "data"
    process = start_up(data_dir, free_port(), temporal_server.grpc_port)
    try:
        lines: list[str] = []
        for line in iter(process.stdout.readline, ""):  # until it exits, or serves (fails below)
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                lines.append(stop(process))
                break
        process.wait(timeout=30)
        out = "".join(lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "convoflow is up" not in out, out
    assert process.returncode == 1, out
    assert f"port {temporal_server.grpc_port} is already in use" in out, out


async def test_up_serves_acknowledges_and_survives_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    api_port, grpc_port = free_port(), free_port()
    base = f"http://127.0.0.1:{api_port}"

    process = start_up(data_dir, api_port, grpc_port)
    try:
        banner = "".join(read_banner(process))
        assert base in banner and f"127.0.0.1:{grpc_port}" in banner and str(data_dir) in banner
        # What a CLI command checks before it sends to this service (engine/service/embedded_service.py).
        assert json.loads((data_dir / "up.json").read_text())["grpc_port"] == grpc_port
        key = next(
            line.split(": ")[1].strip() for line in banner.splitlines() if "development API key" in line
        )

        status, body = await asyncio.to_thread(
            call,
            "POST",
            f"{base}/v1/conversations/c-1/messages?wait=decided",  # the outbox is read next
            key,
            {"message_id": "m-1", "channel": "email", "sender": {"address": "ada@example.com"}, "text": "Hi"},
        )
        assert status == 201 and body["created"] is True
        outbox = [json.loads(line) for line in (data_dir / "outbox.jsonl").read_text().splitlines()]
        assert [(m["kind"], m["template"]) for m in outbox] == [("auto_reply", "acknowledgement")]
        # The contacts, the secrets and the replies sent are the owner's alone (they were 0755/0644).
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        for name in ("convoflow.sqlite", "convoflow.sqlite-wal", "outbox.jsonl"):
            assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600, name
        # An auditor key, as README's auditing walk-through makes one: it retired the development
        # key at the next start, and tenant `dev` had no admin key left.
        status, _ = await asyncio.to_thread(call, "POST", f"{base}/v1/keys", key, {"role": "auditor"})
        assert status == 201
    finally:
        out = stop(process)
    assert process.returncode == 0, out
    assert "convoflow: stopped" in out
    assert temporal_children(data_dir) == []
    assert not (data_dir / "up.json").exists()

    # Same data dir: the conversation is still there, and the same development key still works.
    data_dir.chmod(0o755)  # as an operator's own directory may be: said at start
    process = start_up(data_dir, api_port, grpc_port)
    try:
        banner = "".join(read_banner(process))
        assert key in banner
        assert f"the data directory {data_dir} is open to other users" in banner, banner
        status, state = await asyncio.to_thread(call, "GET", f"{base}/v1/conversations/c-1", key)
        assert status == 200 and state["customer_messages"] == 1
        # An admin key takes over: from the next start the development key is refused, and the
        # banner says why there is none.
        status, admin = await asyncio.to_thread(call, "POST", f"{base}/v1/keys", key, {"role": "admin"})
        assert status == 201
    finally:
        stop(process)
    assert process.returncode == 0

    process = start_up(data_dir, api_port, grpc_port)
    try:
        banner = "".join(read_banner(process))
        assert key not in banner and "the development key is retired" in banner, banner
        status, state = await asyncio.to_thread(call, "GET", f"{base}/v1/conversations/c-1", admin["key"])
        assert status == 200 and state["customer_messages"] == 1
        with pytest.raises(urllib.error.HTTPError) as refused:
            await asyncio.to_thread(call, "GET", f"{base}/v1/conversations/c-1", key)
        assert refused.value.code == 401
    finally:
        stop(process)
    assert process.returncode == 0


def start_part(part: str, address: str, env_extra: dict[str, str]) -> subprocess.Popen:
    # The suite's keyring: the parts read and write what the session's client does.
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": address,
        "CONVOFLOW_PAYLOAD_KEYS": TEST_PAYLOAD_KEYS,
        **env_extra,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", part],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def test_worker_and_api_run_as_separate_processes_against_a_cluster(
    tmp_path: Path, temporal_server
) -> None:
    """The scale-out shape: two workers and one API process, all pointed at TEMPORAL_ADDRESS."""
    api_port = free_port()
    env = {
        "CONVOFLOW_DATA_DIR": str(tmp_path / "data"),
        "CONVOFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'convoflow.sqlite'}",  # one host's
        "CONVOFLOW_TASK_QUEUE": f"separate-{api_port}",
        "CONVOFLOW_API_PORT": str(api_port),
        "CONVOFLOW_API_KEYS": "acme-split:split-key",
        "CONVOFLOW_RULE_PACK": str(Path(__file__).parent / "packs" / "basic"),
    }
    parts = [start_part(p, temporal_server.address, env) for p in ("worker", "worker", "api")]
    try:
        for part, kind in zip(parts, ("worker", "worker", "api"), strict=True):
            first = await asyncio.to_thread(part.stdout.readline)
            if kind == "worker":  # no gateway or SMTP set: the worker says where its messages go
                assert "every outbound message goes only to the outbox table" in first, first
                first = await asyncio.to_thread(part.stdout.readline)
            assert first.startswith("convoflow "), first
        status, body = await asyncio.to_thread(
            call,
            "POST",
            f"http://127.0.0.1:{api_port}/v1/conversations/split-1/messages?wait=decided",
            "split-key",
            {"message_id": "m-1", "channel": "sms", "sender": {"address": "+4915100000"}, "text": "Hi"},
        )
        assert status == 201 and body["created"] is True
        # A named database is the parts' truth (the JSONL mirror is the embedded default's only).
        shared = Settings(data_dir=tmp_path / "data", database_url=SecretStr(env["CONVOFLOW_DATABASE_URL"]))
        outbox = OutboxRows(shared).read_all()
        assert len(outbox) == 1 and outbox[0]["to"] == "+4915100000"
    finally:
        for part in parts:
            stop(part)
    assert [p.returncode for p in parts] == [0, 0, 0]


def test_a_part_of_a_cluster_without_a_database_url_refuses_to_start(tmp_path: Path) -> None:
    """Each part used the SQLite file of its own data directory: a worker found no pack another host
    published, and its conversations stalled, with nothing said at start."""
    env = {**os.environ, "TEMPORAL_ADDRESS": "127.0.0.1:1", "CONVOFLOW_DATA_DIR": str(tmp_path / "data")}
    env.pop("CONVOFLOW_DATABASE_URL", None)
    for part in ("worker", "api"):
        process = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", part],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 1, output
        assert "TEMPORAL_ADDRESS is set but CONVOFLOW_DATABASE_URL is not" in output, output
    assert not (tmp_path / "data" / "convoflow.sqlite").exists()


def test_ctrl_c_in_a_terminal_stops_every_part_without_a_traceback(tmp_path: Path) -> None:
    """A terminal's Ctrl-C signals the whole process group: each pack worker printed "Process
    ForkServerProcess-N:" and a KeyboardInterrupt traceback over the orderly stop."""
    api_port = free_port()
    process = start_up(tmp_path / "data", api_port, free_port(), own_group=True)
    try:
        banner = "".join(read_banner(process))
        key = next(
            line.split(": ")[1].strip() for line in banner.splitlines() if "development API key" in line
        )
        # A pack checked: a pack worker has run, as on a service in use.
        pack = (Path(__file__).parent / "packs" / "basic" / "pack.yaml").read_text()
        status, _ = call("POST", f"http://127.0.0.1:{api_port}/v1/rules/check", key, {"pack": pack})
        assert status == 200
    finally:
        os.killpg(process.pid, signal.SIGINT)
        out, _ = process.communicate(timeout=60)
    assert process.returncode == 0, out
    assert "convoflow: stopped" in out and "Traceback" not in out and "ForkServerProcess" not in out, out


def test_a_second_ctrl_c_stops_at_once_and_takes_temporal_with_it(tmp_path: Path) -> None:
    """A stop waits for work under way (here an event's send to a receiver that never answers, up to
    the send's timeout); a shutdown stuck on work that never ends ignored every Ctrl-C after the
    first, and only `kill -9` ended it, leaving Temporal and the running marker (helper-122)."""
    data_dir, api_port = tmp_path / "data", free_port()
    silent = serve_plain_socket(free_port())  # takes the connection, reads the request, never answers
    got_request = threading.Event()

    def read_one() -> None:
        connection, _ = silent.accept()
        connection.settimeout(30)
        if connection.recv(4096).startswith(b"POST"):
            got_request.set()

    reader = threading.Thread(target=read_one, daemon=True)
    reader.start()
    extra = {"CONVOFLOW_SUBSCRIPTION_PRIVATE_TENANTS": "dev", "CONVOFLOW_SUBSCRIPTION_TIMEOUT_SECONDS": "30"}
    process = start_up(data_dir, api_port, free_port(), extra=extra)
    try:
        banner = "".join(read_banner(process))
        key = next(
            line.split(": ")[1].strip() for line in banner.splitlines() if "development API key" in line
        )
        base = f"http://127.0.0.1:{api_port}"
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/events"
        subscription = {"url": url, "events": ["conversation.created"], "allow_private": True}
        assert call("POST", f"{base}/v1/subscriptions", key, subscription)[0] == 201
        message = {"message_id": "m-1", "channel": "chat", "sender": {"address": "v-1"}, "text": "Hello"}
        assert call("POST", f"{base}/v1/conversations/c-1/messages", key, message)[0] == 201
        assert got_request.wait(30), "the event was not sent"
        process.send_signal(signal.SIGINT)
        lines = []
        while not (line := process.stdout.readline()).startswith("convoflow: stopping"):
            lines.append(line)
            assert line, "".join(lines)
        assert "Ctrl-C again" in line
        process.send_signal(signal.SIGINT)  # the send holds the stop: asked again, at once
        out, _ = process.communicate(timeout=20)
        assert process.returncode == runtime.FORCED_EXIT, out
        assert "stopping at once" in out, out
        assert wait_until(lambda: not temporal_children(data_dir), within=15), "Temporal left running"
        assert not (data_dir / "up.json").exists()
    finally:
        if process.poll() is None:
            process.kill()
        for pid in temporal_children(data_dir):
            os.kill(int(pid), signal.SIGKILL)
        silent.close()


def test_up_stops_saying_so_when_its_temporal_server_dies(tmp_path: Path) -> None:
    """It ran on without its Temporal, answering /healthz and logging poll failures, while no
    conversation moved."""
    data_dir = tmp_path / "data"
    process = start_up(data_dir, free_port(), free_port())
    try:
        read_banner(process)
        (child,) = temporal_children(data_dir)
        os.kill(int(child), signal.SIGKILL)
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, out
    assert "the embedded Temporal server exited (code -9)" in out, out


def test_the_banner_says_where_email_goes_and_which_mailboxes_are_read(tmp_path: Path) -> None:
    """With SMTP and a mailbox set, the banner named only the outbox file (which holds no email
    then), and nothing said a mailbox was connected."""
    mailbox = {"name": "support", "tenant": "dev", "host": "imap.example.com", "user": "s@example.com"}
    chosen = Settings(
        data_dir=tmp_path,
        smtp_host="smtp.example.com",
        smtp_port=2525,
        email_from="help@acme.example",
        mailboxes=json.dumps([{**mailbox, "password_env": "IMAP_PASSWORD"}]),
    )
    assert runtime.mail_lines(chosen) == [
        "  email out         SMTP smtp.example.com:2525, from help@acme.example",
        "  mailboxes         support (IMAP, read by the worker)",
    ]
    assert runtime.mail_lines(Settings(data_dir=tmp_path)) == []
