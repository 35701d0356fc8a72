"""End-to-end throughput on the embedded server: conversations per second from first message to close,
next to a bare Temporal workflow that runs the same number of activities and local activities, in the
same run against the same server. The ratio is the figure.

    python -m bench lifecycle            # 200 conversations
    BENCH_CONVERSATIONS=500 python -m bench lifecycle
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import SecretStr
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.worker import Worker

from bench.bare_workflow import BareWorkflow, bare_step
from engine.contracts.conversation import (
    AgentReply,
    ConversationStart,
    InboundMessage,
    Party,
    Status,
    StatusChange,
)
from engine.service.config import Settings
from engine.service.database import database_of, prepare_database
from engine.service.pack_store import ensure_active_pack
from engine.service.payload_keys import new_key_entry
from engine.service.temporal_client import connect
from engine.service.temporal_server import DevServer, free_port
from engine.service.worker import build_worker
from workflows.conversation.workflow import ConversationWorkflow

ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 50


async def one_conversation(client: Client, settings: Settings, pack_hash: str, n: int) -> str:
    wf_id = f"conversation:bench:{n}-{uuid.uuid4().hex[:6]}"
    start = WithStartWorkflowOperation(
        ConversationWorkflow.run,
        ConversationStart(
            tenant="bench",
            external_id=str(n),
            channel="email",
            customer=Party(address=f"c{n}@example.com", name="Ada Lovelace"),
            pack_hash=pack_hash,
        ),
        id=wf_id,
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    await client.execute_update_with_start_workflow(
        ConversationWorkflow.receive_message,
        InboundMessage(
            message_id="m-1", sender=Party(address=f"c{n}@example.com"), text="My invoice is wrong"
        ),
        start_workflow_operation=start,
    )
    handle = client.get_workflow_handle_for(ConversationWorkflow.run, wf_id)
    await handle.execute_update(
        ConversationWorkflow.post_reply, AgentReply(agent_id="a", text="Fixed.", message_id="r-1")
    )
    # The close is handled when its update returns; the workflow then waits for a next thread.
    closed = await handle.execute_update(
        ConversationWorkflow.change_status, StatusChange(status=Status.CLOSED)
    )
    assert closed.status == Status.CLOSED
    return wf_id


async def gather_bounded(make, count: int) -> float:
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def bounded(i: int) -> None:
        async with semaphore:
            await make(i)

    started = time.perf_counter()
    await asyncio.gather(*(bounded(i) for i in range(count)))
    return time.perf_counter() - started


async def count_activities(client: Client, wf_id: str) -> tuple[int, int]:
    history = await client.get_workflow_handle(wf_id).fetch_history()
    kinds = [e.WhichOneof("attributes") for e in history.events]
    return (
        kinds.count("activity_task_scheduled_event_attributes"),
        kinds.count("marker_recorded_event_attributes"),
    )


async def run(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = DevServer(db_file=None, grpc_port=free_port(), headless=True)
        await server.start()
        try:
            settings = Settings(
                temporal_address=server.address,
                data_dir=Path(tmp),
                task_queue="bench",
                rule_pack=ROOT / "rule_packs" / "default",
                payload_keys=SecretStr(new_key_entry("bench-1")),  # measured with encryption, as deployed
            )
            await prepare_database(settings)
            database = database_of(settings)
            pack_hash = await ensure_active_pack(database, settings, "bench")
            await database.dispose()
            client = await connect(settings)
            async with (
                build_worker(client, settings),
                Worker(
                    client,
                    task_queue="bare",
                    workflows=[BareWorkflow],
                    activities=[bare_step],
                    activity_executor=ThreadPoolExecutor(16),
                ),
            ):
                sample = await one_conversation(client, settings, pack_hash, -1)  # warm-up; the shape to copy
                activities, markers = await count_activities(client, sample)
                convo_s = await gather_bounded(
                    lambda i: one_conversation(client, settings, pack_hash, i), count
                )
                bare_s = await gather_bounded(
                    lambda i: client.execute_workflow(
                        BareWorkflow.run,
                        [activities, markers],
                        id=f"bare-{i}-{uuid.uuid4().hex[:6]}",
                        task_queue="bare",
                    ),
                    count,
                )
        finally:
            await server.stop()
    print(
        f"one conversation = {activities} activities + {markers} local activities "
        f"(pack, decisions, business time); {CONCURRENCY} in flight"
    )
    print(f"conversations, first message -> close: {count / convo_s:8.1f}/s ({count} in {convo_s:.1f} s)")
    print(f"bare workflow, same activities:        {count / bare_s:8.1f}/s ({count} in {bare_s:.1f} s)")
    print(f"convoflow takes {convo_s / bare_s:.2f}x the time of the bare workflow")


def main() -> None:
    asyncio.run(run(int(os.environ.get("BENCH_CONVERSATIONS", "200"))))


if __name__ == "__main__":
    main()
