"""Two worker "hosts" (own working and data directories) on one PostgreSQL and one Temporal server.

Nothing a worker needs may live in a local file: packs, the ledger and the outbox are in the
database, so a conversation can be served by whichever worker picks it up.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from engine.db.connection import open_engine, upgrade
from engine.service.config import Settings
from engine.service.temporal_server import DevServer
from tests.api_client import api_key
from tests.conftest import TEST_PACKS, serve_api
from tests.databases import fresh_database
from tests.outbox_rows import OutboxRows
from tests.payload_keys import TEST_PAYLOAD_KEYS
from tests.polling import eventually

CONVERSATIONS = 200


def start_worker(host: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """`convoflow worker` as an operator on another machine would start it: its own directory."""
    host.mkdir(parents=True)
    return subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "worker"],
        cwd=host,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_ready(worker: subprocess.Popen[str]) -> None:
    assert worker.stdout is not None
    for line in worker.stdout:
        if line.startswith("convoflow worker polling"):
            return
    raise AssertionError(f"worker exited with {worker.wait()} before polling")


# 200 conversations through two worker processes take ~60 s alone and near 120 s on a loaded
# 2-core machine: the hang guard is wider than the suite's default.
@pytest.mark.timeout(300)
async def test_two_worker_hosts_share_one_postgresql_and_one_temporal(
    tmp_path: Path, temporal_server: DevServer, postgres: Any, client: Client, tenants: dict[str, str]
) -> None:
    url = fresh_database(postgres)
    engine = open_engine(url)
    await upgrade(engine)  # `convoflow db upgrade`, once per release
    await engine.dispose()
    queue = f"two-hosts-{uuid.uuid4().hex[:8]}"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CONVOFLOW_", "TEMPORAL_"))}
    env = {**clean, "TEMPORAL_ADDRESS": temporal_server.address, "CONVOFLOW_DATABASE_URL": url}
    env["CONVOFLOW_TASK_QUEUE"] = queue
    env["CONVOFLOW_PAYLOAD_KEYS"] = TEST_PAYLOAD_KEYS  # the keyring of the suite's client
    hosts = [tmp_path / "host-a", tmp_path / "host-b"]
    workers = [start_worker(host, env) for host in hosts]
    try:
        await asyncio.gather(*(asyncio.to_thread(wait_ready, w) for w in workers))
        settings = Settings(
            temporal_address=temporal_server.address,
            database_url=url,
            data_dir=tmp_path / "api",
            task_queue=queue,
            api_keys=",".join(f"{t}:{api_key(t)}" for t in tenants.values()),
            rule_pack=TEST_PACKS / "basic",
            payload_keys=TEST_PAYLOAD_KEYS,  # a cluster's API seals quarantined mail with it
        )
        async with serve_api(client, settings, tenants) as api:
            limit = asyncio.Semaphore(20)

            async def converse(n: int) -> int:
                async with limit:
                    return (await api.post_message(f"h-{n}", "m-1", "hello")).status

            statuses = await asyncio.gather(*(converse(n) for n in range(CONVERSATIONS)))
        assert statuses == [201] * CONVERSATIONS
        outbox = OutboxRows(settings)

        async def all_acknowledged() -> bool:
            return len(await asyncio.to_thread(outbox.read_all)) >= CONVERSATIONS

        await eventually(all_acknowledged, what="an acknowledgement for every conversation", within=60)
        acks = await asyncio.to_thread(outbox.read_all)
        assert len({m["conversation_id"] for m in acks}) == CONVERSATIONS == len(acks)

        identities: set[str] = set()
        for n in range(0, CONVERSATIONS, 5):
            workflow_id = f"conversation:{tenants['acme']}:h-{n}"
            async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
                if event.HasField("workflow_task_completed_event_attributes"):
                    identities.add(event.workflow_task_completed_event_attributes.identity)
        pids = {identity.split("@")[0] for identity in identities}
        assert {str(w.pid) for w in workers} <= pids, f"not both workers served conversations: {identities}"
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
        for worker in workers:
            worker.communicate(timeout=30)
    for host in hosts:
        assert sorted(p.name for p in host.rglob("*")) == [], f"{host} holds local state"
