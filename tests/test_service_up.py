"""`convoflow up` as `make run` starts it: a real process with its own dev server, worker and API."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from engine.service.temporal_server import free_port

UP_TIMEOUT = 60


def start_up(data_dir: Path, api_port: int, grpc_port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "CONVOFLOW_DATA_DIR": str(data_dir),
        "CONVOFLOW_API_PORT": str(api_port),
        "CONVOFLOW_EMBEDDED_GRPC_PORT": str(grpc_port),
        "CONVOFLOW_EMBEDDED_UI_PORT": str(free_port()),
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


async def test_up_serves_acknowledges_and_survives_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    api_port, grpc_port = free_port(), free_port()
    base = f"http://127.0.0.1:{api_port}"

    process = start_up(data_dir, api_port, grpc_port)
    try:
        banner = "".join(read_banner(process))
        assert base in banner and f"127.0.0.1:{grpc_port}" in banner and str(data_dir) in banner
        key = next(
            line.split(": ")[1].strip() for line in banner.splitlines() if "development API key" in line
        )

        status, body = await asyncio.to_thread(
            call,
            "POST",
            f"{base}/v1/conversations/c-1/messages",
            key,
            {"message_id": "m-1", "channel": "email", "sender": {"address": "ada@example.com"}, "text": "Hi"},
        )
        assert status == 201 and body["created"] is True
        outbox = [json.loads(line) for line in (data_dir / "outbox.jsonl").read_text().splitlines()]
        assert [(m["kind"], m["template"]) for m in outbox] == [("auto_reply", "acknowledgement")]
    finally:
        out = stop(process)
    assert process.returncode == 0, out
    assert "convoflow: stopped" in out
    assert temporal_children(data_dir) == []

    # Same data dir: the conversation is still there, and the same development key still works.
    process = start_up(data_dir, api_port, grpc_port)
    try:
        banner = "".join(read_banner(process))
        assert key in banner
        status, state = await asyncio.to_thread(call, "GET", f"{base}/v1/conversations/c-1", key)
        assert status == 200 and state["customer_messages"] == 1
    finally:
        stop(process)
    assert process.returncode == 0


def start_part(part: str, address: str, env_extra: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, "TEMPORAL_ADDRESS": address, **env_extra}
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
        "CONVOFLOW_TASK_QUEUE": f"separate-{api_port}",
        "CONVOFLOW_API_PORT": str(api_port),
        "CONVOFLOW_API_KEYS": "acme-split:split-key",
        "CONVOFLOW_RULE_PACK": str(Path(__file__).parent / "packs" / "basic"),
    }
    parts = [start_part(p, temporal_server.address, env) for p in ("worker", "worker", "api")]
    try:
        for part in parts:
            first = await asyncio.to_thread(part.stdout.readline)
            assert first.startswith("convoflow "), first
        status, body = await asyncio.to_thread(
            call,
            "POST",
            f"http://127.0.0.1:{api_port}/v1/conversations/split-1/messages",
            "split-key",
            {"message_id": "m-1", "channel": "sms", "sender": {"address": "+4915100000"}, "text": "Hi"},
        )
        assert status == 201 and body["created"] is True
        outbox = (tmp_path / "data" / "outbox.jsonl").read_text().splitlines()
        assert len(outbox) == 1 and json.loads(outbox[0])["to"] == "+4915100000"
    finally:
        for part in parts:
            stop(part)
    assert [p.returncode for p in parts] == [0, 0, 0]
