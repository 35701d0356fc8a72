"""Replaying recorded histories against the current workflow code: the determinism check.

Every test that runs a worker replays every workflow it produced when the worker stops (see the
`worker` fixture), so a non-deterministic change fails the test that exercised it.
With `CONVOFLOW_RECORD_HISTORIES=<dir>` each replayed history is also written there as JSON: that is
how the histories kept in tests/histories/ were recorded.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from temporalio.client import Client
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from engine.service import replaying
from tests.payload_keys import TEST_DATA_CONVERTER


def replayer(data_converter: DataConverter = TEST_DATA_CONVERTER) -> Replayer:
    """Replays as the worker runs: the same workflows, converter (the suite's keyring) and sandbox.

    Histories recorded before encryption hold plain payloads, which the codec passes through.
    """
    return replaying.replayer(data_converter)


async def assert_replays(client: Client, workflow_id: str, run_id: str | None = None) -> None:
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    result = await replaying.replayed(replayer(client.data_converter), history)
    if result.replay_failure is not None:
        raise result.replay_failure
    if record_dir := os.environ.get("CONVOFLOW_RECORD_HISTORIES"):
        _record(Path(record_dir), f"{workflow_id}-{run_id or 'latest'}", history.to_json())


def _record(folder: Path, name: str, history_json: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', name)}.json").write_text(history_json, encoding="utf-8")


async def replay_task_queue(client: Client, task_queue: str) -> int:
    """Replay every run ever started on `task_queue`; returns how many were replayed."""
    count = 0
    async for wf in client.list_workflows(f"TaskQueue = '{task_queue}'"):
        await assert_replays(client, wf.id, wf.run_id)
        count += 1
    return count


async def replay_every_run(client: Client, task_queue: str, within: float = 10.0) -> int:
    """Replay every run on `task_queue`, failing if there is none: replaying nothing proves nothing.

    Visibility lags behind the runs, so first wait (at most `within` seconds) until it lists one.
    """
    query = f"TaskQueue = '{task_queue}'"
    try:
        async with asyncio.timeout(within):
            while not [wf async for wf in client.list_workflows(query, limit=1)]:  # noqa: ASYNC110 - polling the server
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"no workflow run on task queue {task_queue!r} to replay") from None
    count = await replay_task_queue(client, task_queue)
    assert count > 0, f"no workflow run on task queue {task_queue!r} replayed"
    return count
