"""The control-plane database goes away and comes back: nothing is lost, nothing is sent twice.

While PostgreSQL is down the API answers 503 with `Retry-After` (never a 500) to what needs it, and
activities keep retrying; once it is back, the same requests retried by the client complete, and every
acknowledgement goes out once.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from pydantic import SecretStr
from temporalio.client import Client

from engine.db.connection import open_engine, upgrade
from engine.service.config import Settings
from engine.service.worker import build_worker
from tests.api_client import ApiClient
from tests.conftest import serve_service
from tests.databases import start_postgres
from tests.outbox_rows import OutboxRows
from tests.polling import eventually


async def test_requests_during_a_database_outage_get_503_and_complete_when_it_is_back(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    # Not under pytest's basetemp (as tests/databases.py explains): another pytest session on the
    # machine prunes old basetemp folders, this cluster's data and socket with them.
    cluster = Path(tempfile.mkdtemp(prefix="convoflow-pg-down-"))
    server = start_postgres(cluster)
    server.psql("CREATE DATABASE convoflow;")
    url = server.get_uri("convoflow")
    engine = open_engine(url)
    await upgrade(engine)
    await engine.dispose()
    chosen = settings.model_copy(update={"database_url": SecretStr(url), "update_timeout_seconds": 4})
    try:
        async with serve_service(client, chosen, tenants) as api:
            assert (await api.post_message("up-1", "m-1", "hello")).status == 201
            ready_body = {"status": "ready", "database": "ok", "temporal": "ok", "workers": "ok"}
            assert await ready(api) == (200, ready_body)

            server.cleanup()  # PostgreSQL stops
            # /healthz still answered ok: a load balancer asking /readyz takes the replica out
            # (within a second: a probe's answer is reused that long).
            answers: list[tuple[int, dict]] = []

            async def not_ready() -> bool:
                answers.append(await ready(api))
                return answers[-1][0] != 200

            await eventually(not_ready, what="/readyz answering 503", within=10)
            status, body = answers[-1]
            assert (status, body["error"], body["fields"]) == (
                503,
                "not_ready",
                [{"field": "database", "message": "did not answer"}],
            )
            during = [
                await api.post_message("down-1", "m-1", "hello while the database is down", tenant="globex"),
                await api.post_message("down-2", "m-1", "hello while the database is down"),
                await api.post_message("up-1", "m-2", "and again"),
            ]
            # A new conversation needs its tenant's active pack: globex has not asked for it yet.
            assert during[0].status == 503, during[0].body
            assert during[0].body["error"] == "database_unavailable"
            # The API keeps acme's active pack hash for 5 s: within that, a message needs no database
            # and may be taken (once, as the retry below shows); its acknowledgement waits for the
            # database in the background (workflows/conversation/delivery.py).
            for reply in during[1:]:
                if reply.status not in (200, 201):
                    assert reply.status == 503, reply.body
                    assert reply.body["error"] in ("database_unavailable", "worker_unavailable")

            # Metrics still answer, saying what they could not read.
            async with api.session.get(api.base_url + "/metrics") as scraped:
                assert scraped.status == 200
                assert 'convoflow_scrape_errors{part="tenants"} 1.0' in await scraped.text()

            # The same cluster directory: its data is all there. Under load the old postmaster may
            # still be exiting (pg_ctl start refuses while its lock file exists): wait for it to go.
            async def postmaster_gone() -> bool:
                return not (cluster / "postmaster.pid").exists()

            await eventually(postmaster_gone, what="the stopped PostgreSQL's lock file gone", within=30)
            server = start_postgres(cluster)
            retried = [
                await api.post_message("down-1", "m-1", "hello while the database is down", tenant="globex"),
                await api.post_message("down-2", "m-1", "hello while the database is down"),
                await api.post_message("up-1", "m-2", "and again"),
            ]
            assert retried[0].status == 201, retried[0].body

            async def ready_again() -> bool:
                return (await ready(api))[0] == 200

            await eventually(ready_again, what="/readyz answering 200 again", within=10)
            assert [r.status for r in retried[1:]] in ([201, 200], [200, 200]), [r.body for r in retried]
            outbox = OutboxRows(chosen)

            conversations = {
                api.workflow_id("up-1"),
                api.workflow_id("down-1", tenant="globex"),
                api.workflow_id("down-2"),
            }

            async def both_acknowledged() -> bool:
                sent = await asyncio.to_thread(outbox.read_all)
                return {m["conversation_id"] for m in sent} == conversations

            await eventually(both_acknowledged, what="acknowledgements after the outage", within=60)
            sent = await asyncio.to_thread(outbox.read_all)
            keys = [m["idempotency_key"] for m in sent]
            assert len(keys) == len(set(keys)) == 3, sent
            assert (await api.get("up-1")).body["customer_messages"] == 2
    finally:
        server.cleanup()
        shutil.rmtree(cluster, ignore_errors=True)


async def ready(api: ApiClient) -> tuple[int, dict]:
    async with api.session.get(api.base_url + "/readyz") as answer:
        return answer.status, await answer.json(content_type=None)


async def test_readyz_names_a_task_queue_no_worker_polls(
    api: ApiClient, client: Client, settings: Settings
) -> None:
    """An API started with a mistyped CONVOFLOW_TASK_QUEUE said ready, and every conversation it
    began waited for ever on a queue no worker reads (a retry through another API too): 503."""
    said = f"no worker polls task queue {settings.task_queue} (CONVOFLOW_TASK_QUEUE)"
    status, body = await ready(api)
    assert (status, body["fields"], body["message"]) == (
        503,
        [{"field": "workers", "message": said}],
        f"not ready: {said}",
    ), body
    async with build_worker(client, settings):

        async def ready_now() -> bool:
            return (await ready(api))[0] == 200

        await eventually(ready_now, what="/readyz answering 200 once a worker polls", within=10)
        await api.assert_described(await api.request("GET", "/readyz", tenant=None), "GET", "/readyz")
