"""`python -m bench audit`: how fast `convoflow audit replay` goes, and how big an audit bundle is.

- Replay throughput: every history kept in tests/histories/ replayed with the worker's workflows,
  sandbox and data converter (engine/service/replaying.py), one after another as the command does;
  the best of two passes (the first also pays the sandbox's imports).
- Export size: conversations run on the real stack (dev server, convoflow worker and API in processes
  of their own, the default pack, payload encryption on), each exported as `convoflow audit export`
  does; bytes of the JSON bundle per conversation, mean and max, and the replay rate of their runs.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from temporalio.client import WorkflowHistory

from bench import stack
from bench.results import Result
from engine.audit.chain import canonical_json
from engine.service import audit_bundle
from engine.service.audit_bundle import Recorded
from engine.service.database import database_of
from engine.service.replaying import replay_all
from engine.service.temporal_client import connect
from tests.payload_keys import TEST_DATA_CONVERTER

HISTORIES = stack.ROOT / "tests" / "histories"
CONVERSATIONS = 20


def kept_histories() -> list[Recorded]:
    ids: dict[str, str] = json.loads((HISTORIES / "workflow_ids.json").read_text())
    kept = []
    for path in sorted(HISTORIES.glob("*.json")):
        if path.name == "workflow_ids.json":
            continue
        history = WorkflowHistory.from_json(ids.get(path.stem, path.stem), path.read_text())
        started = history.events[0].workflow_execution_started_event_attributes
        # Under the workflow and run they began as, as a bundle holds them (replay checks both).
        history = WorkflowHistory(started.workflow_id or history.workflow_id, history.events)
        kept.append(Recorded(path.stem, started.original_execution_run_id, history))
    return kept


async def replay_rate(recorded: list[Recorded], converter) -> tuple[float, int]:
    """Histories per second (best of two passes) and the differences found."""
    best, differences = 0.0, 0
    for _ in range(2):
        started = time.perf_counter()
        tally = await replay_all(recorded, converter)
        best = max(best, len(recorded) / (time.perf_counter() - started))
        differences = len(tally.differences)
    return best, differences


async def drive(base: str, conversation: str, n: int) -> None:
    """A conversation as the lifecycle tests have them: every third closes and begins a new thread."""
    headers = {"Authorization": f"Bearer {stack.API_KEY}"}
    async with aiohttp.ClientSession(base, headers=headers) as http:

        async def post(path: str, body: dict) -> None:
            async with http.post(f"/v1/conversations/{conversation}{path}", json=body) as resp:
                assert resp.status in (200, 201), (resp.status, await resp.text())

        sender = {"address": f"customer-{n}@example.com"}
        await post("/messages", {"message_id": f"{conversation}-m1", "channel": "email", "sender": sender,
                                 "text": "My invoice is wrong"})  # fmt: skip
        await post(
            "/replies", {"agent_id": "agent-1", "text": "Looking into it", "message_id": f"{conversation}-r1"}
        )
        if n % 3 == 0:
            await post("/status", {"status": "closed"})
            await post("/messages", {"message_id": f"{conversation}-m2", "channel": "email", "sender": sender,
                                     "text": "And my refund?"})  # fmt: skip
        await post("/status", {"status": "solved"})


async def measure() -> list[Result]:
    kept = kept_histories()
    kept_rate, kept_differences = await replay_rate(kept, TEST_DATA_CONVERTER)
    print(f"tests/histories: {len(kept)} histories, {kept_rate:.1f}/s, {kept_differences} differences")
    with tempfile.TemporaryDirectory() as tmp:
        async with stack.dev_server() as server:
            settings = stack.bench_settings(server, Path(tmp))
            await stack.prepare(settings)
            base = f"http://127.0.0.1:{settings.api_port}"
            with stack.child(stack.convoflow_worker, settings), stack.child(stack.api, settings) as api:
                await stack.wait_healthy(base, api)
                names = [f"audit-{uuid.uuid4().hex[:8]}-{n}" for n in range(CONVERSATIONS)]
                await asyncio.gather(*(drive(base, name, n) for n, name in enumerate(names)))
                client = await connect(settings)
                database = database_of(settings)
                try:
                    key = b"bench-audit-key-0123456789"
                    bundles = [
                        await audit_bundle.export(client, database, stack.TENANT, name, key) for name in names
                    ]
                finally:
                    await database.dispose()
    sizes = [len(canonical_json(bundle)) for bundle in bundles]
    runs = [run for bundle in bundles for run in audit_bundle.recorded_in(bundle)]
    fresh_rate, fresh_differences = await replay_rate(runs, client.data_converter)
    print(
        f"{len(bundles)} conversations exported: {statistics.mean(sizes):.0f} bytes mean, {max(sizes)} max; "
        f"their {len(runs)} runs replay at {fresh_rate:.1f}/s, {fresh_differences} differences"
    )
    return [
        Result("audit replay: tests/histories (histories/s)", kept_rate, "histories/s"),
        Result("audit replay: differences in tests/histories", kept_differences, "count", goal="<= 0"),
        Result("audit replay: fresh conversations' runs (runs/s)", fresh_rate, "runs/s"),
        Result("audit export: bundle size per conversation, mean", statistics.mean(sizes), "bytes"),
        Result("audit export: bundle size per conversation, max", max(sizes), "bytes"),
    ]


def main() -> list[Result]:
    return asyncio.run(measure())


if __name__ == "__main__":
    from bench.results import table

    print(table(main()))
