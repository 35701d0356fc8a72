"""`Idempotency-Key` on POSTs, as an integrator retrying over a flaky network meets it."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from temporalio.client import Client
from temporalio.service import RPCError

from engine.api.idempotency import IDEMPOTENCY, lease_for
from engine.db.schema import idempotency_keys
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.worker import build_worker
from tests.api_client import ApiClient
from tests.conftest import serve_api
from tests.polling import eventually
from tests.replay import replay_every_run

MESSAGE = {"message_id": "m-1", "channel": "email", "sender": {"address": "ada@example.com"}, "text": "Hi"}


def fields(body: dict) -> list[str]:
    return [f["field"] for f in body.get("fields", [])]


async def test_a_retried_post_creates_one_conversation_and_answers_the_first_answer(
    api: ApiClient, worker: None
) -> None:
    path, key = "/v1/conversations/idem-1/messages", {"Idempotency-Key": "create-idem-1"}
    first = await api.request("POST", path, json=MESSAGE, headers=key)
    again = await api.request("POST", path, json=MESSAGE, headers=key)
    assert first.status == 201 and "Idempotent-Replayed" not in first.headers
    assert (again.status, again.body) == (first.status, first.body)
    assert again.headers["Idempotent-Replayed"] == "true"
    # The same request as another JSON library writes it (names in another order, spaces): the same
    # request, answered again; it was a 422 "sent with a different request".
    reordered = json.dumps(dict(reversed(MESSAGE.items())), indent=2).encode()
    rewritten = await api.request(
        "POST", path, data=reordered, headers={**key, "Content-Type": "application/json"}
    )
    assert (rewritten.status, rewritten.body) == (first.status, first.body), rewritten.body
    assert rewritten.headers["Idempotent-Replayed"] == "true"
    other = await api.request("POST", path, json={**MESSAGE, "text": "Hi again"}, headers=key)
    assert other.status == 422 and fields(other.body) == ["Idempotency-Key"], other.body
    assert other.headers["Content-Type"].startswith("application/problem+json")
    # Another tenant's key of the same name is its own: its request runs.
    theirs = await api.request("POST", path, json=MESSAGE, headers=key, tenant="globex")
    assert theirs.status == 201 and "Idempotent-Replayed" not in theirs.headers

    async def handled() -> bool:  # answered when recorded: the handling follows
        return (await api.get("idem-1")).body["customer_messages"] >= 1

    await eventually(handled, "the message handled")
    state = (await api.get("idem-1")).body
    assert state["customer_messages"] == 1


async def test_a_key_is_409_while_its_first_request_runs_and_a_503_is_not_kept(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    patient = settings.model_copy(update={"update_timeout_seconds": 4.0})
    path, key = "/v1/conversations/idem-2/messages", {"Idempotency-Key": "create-idem-2"}
    async with serve_api(client, patient, tenants) as api:  # no worker polls the queue yet
        first = asyncio.create_task(api.request("POST", path, json=MESSAGE, headers=key))
        keys = api.app[IDEMPOTENCY]
        await eventually(lambda: _claimed(keys, tenants["acme"]), "the first request's claim")
        racing = await api.request("POST", path, json=MESSAGE, headers=key)
        assert racing.status == 409 and fields(racing.body) == ["Idempotency-Key"], racing.body
        assert racing.headers["Retry-After"] == "1"  # running: it answers within seconds
        # Were its API to stop now, the key would stay claimed until the lease ends: said how long.
        lease = lease_for(patient.update_timeout_seconds, patient.rules_time_limit_seconds).total_seconds()
        within = re.search(r"still running \(free within (\d+) s at the latest\)", racing.body["message"])
        assert within and lease - 10 <= int(within[1]) <= lease, racing.body
        # A claim held past the longest a request runs: its API stopped before answering. The client
        # is told to wait out the lease (it was told `Retry-After: 1` ninety times: helper-123).
        database = database_of(patient)
        try:
            async with database.begin() as db:
                held = datetime.now(UTC) - timedelta(seconds=lease - 20)
                digest = hashlib.sha256(key["Idempotency-Key"].encode()).hexdigest()
                ours = idempotency_keys.c.key_hash == digest
                await db.execute(update(idempotency_keys).where(ours).values(claimed_at=held))
        finally:
            await database.dispose()
        orphaned = await api.request("POST", path, json=MESSAGE, headers=key)
        assert orphaned.status == 409, orphaned.body
        assert 10 <= int(orphaned.headers["Retry-After"]) <= 20, orphaned.headers
        assert (await first).status == 503  # no worker: not final, so the retry runs
        async with build_worker(client, patient):
            retried = await api.request("POST", path, json=MESSAGE, headers=key)
            replayed = await api.request("POST", path, json=MESSAGE, headers=key)

            async def handled() -> bool:  # answered when recorded: the handling follows
                return (await api.get("idem-2")).body["customer_messages"] >= 1

            await eventually(handled, "the retried message handled")
            state = (await api.get("idem-2")).body
    assert retried.status in (200, 201) and "Idempotent-Replayed" not in retried.headers
    assert replayed.body == retried.body and replayed.headers["Idempotent-Replayed"] == "true"
    assert state["customer_messages"] == 1
    await replay_every_run(client, patient.task_queue)


async def _claimed(keys, tenant: str) -> bool:
    return await keys.running(tenant) == 1


async def test_keys_are_bounded_and_secrets_are_never_replayed(api: ApiClient) -> None:
    for bad in ("x" * 257, "two\tlines", ""):
        reply = await api.request(
            "POST", "/v1/keys", json={"role": "auditor"}, headers={"Idempotency-Key": bad}
        )
        assert reply.status == 422 and fields(reply.body) == ["Idempotency-Key"], (bad, reply.body)
    key = {"Idempotency-Key": "new-auditor-key"}
    created = await api.request("POST", "/v1/keys", json={"role": "auditor"}, headers=key)
    again = await api.request("POST", "/v1/keys", json={"role": "auditor"}, headers=key)
    assert created.status == again.status == 201 and created.body["key"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.body == {k: v for k, v in created.body.items() if k != "key"}
    listed = (await api.request("GET", "/v1/keys")).body["keys"]
    assert [k["key_id"] for k in listed] == [created.body["key_id"]]


async def test_a_repeated_reply_is_answered_with_the_seq_it_was_recorded_with(
    api: ApiClient, worker: None
) -> None:
    # A client that retries a reply after the customer wrote again: the repeat named the newest seq
    # (the customer's message), not the reply's, so the two answers disagreed on what happened.
    path, reply = (
        "/v1/conversations/idem-r-1/replies",
        {"agent_id": "agent-1", "text": "On it", "message_id": "r-1"},
    )
    assert (await api.post_message("idem-r-1", "m-1")).status == 201
    first = await api.request("POST", path, json=reply)
    later = await api.post_message("idem-r-1", "m-2", "Any news?")
    again = await api.request("POST", path, json=reply)
    assert first.status == 200 and later.status == 200 and again.status == 200, (first, later, again)
    assert again.body["duplicate"] is True
    assert again.body["seq"] == first.body["seq"] < later.body["seq"], (first.body, again.body)


async def test_a_message_counts_from_when_the_api_took_it_not_from_when_a_worker_got_to_it(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    """Without `received_at` a message's clocks (first response, SLA) started when the workflow
    handled it: seconds later on a busy or starting worker (2 s for a tenant's first conversation,
    whose pack was being published), and staggered for messages that came in together."""
    patient = settings.model_copy(update={"update_timeout_seconds": 20.0})
    async with serve_api(client, patient, tenants) as api:  # no worker polls the queue yet
        # Answered once decided: answered when recorded, its state could still lack the message.
        path = "/v1/conversations/late-1/messages?wait=decided"
        posted = asyncio.create_task(api.request("POST", path, json=MESSAGE))
        handle = client.get_workflow_handle(api.workflow_id("late-1"))

        async def started() -> bool:
            with contextlib.suppress(RPCError):
                await handle.describe()
                return True
            return False

        await eventually(started, "the conversation started, waiting for a worker")
        worker_from = datetime.now(UTC)
        async with build_worker(client, patient):
            assert (await posted).status == 201
            state = (await api.get("late-1")).body
    taken = datetime.fromisoformat(state["first_customer_message_at"])
    assert taken < worker_from, (taken, worker_from)
