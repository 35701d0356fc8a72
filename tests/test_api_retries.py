"""A caller's retry is always safe: a 503 says when to retry, and retrying never duplicates anything."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import time
from collections.abc import Awaitable, Callable

import pytest
from pydantic import SecretStr
from temporalio.client import Client

from engine import webhook_signature
from engine.service.config import Settings
from engine.service.worker import build_worker
from tests.api_client import ApiClient, Reply
from tests.conftest import serve_api, serve_service
from tests.local_servers import FakeGateway, serve_gateway
from tests.outbox_rows import OutboxRows
from tests.polling import eventually
from tests.replay import replay_every_run

SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc4OQ=="


def acknowledgements(outbox: OutboxRows) -> int:
    return [m.get("template") for m in outbox.read_all()].count("acknowledgement")


async def acknowledged(outbox: OutboxRows) -> bool:
    return acknowledgements(outbox) > 0


async def test_update_nobody_answers_is_503_with_retry_after_and_the_retry_is_safe(
    client: Client,
    settings: Settings,
    tenants: dict[str, str],
    outbox: OutboxRows,
    caplog: pytest.LogCaptureFixture,
) -> None:
    impatient = settings.model_copy(update={"update_timeout_seconds": 1.0})
    async with serve_api(client, impatient, tenants) as api:  # no worker polls the queue yet
        first = await api.post_message("t-1", "m-1")
        assert first.status == 503, first.body
        assert int(first.headers["Retry-After"]) > 0
        assert first.body["error"] == "worker_unavailable" and "message_id" in first.body["message"]
        read = await api.get("t-1")
        assert read.status == 503 and int(read.headers["Retry-After"]) > 0
    gc.collect()  # an SDK future left holding the timeout would be logged at ERROR when collected
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []

    async with build_worker(client, settings), serve_api(client, settings, tenants) as api:
        again = await api.post_message("t-1", "m-1")
        assert again.status in (200, 201), again.body
        # A retry that finds the first delivery still being handled answers `duplicate` at once.
        await eventually(lambda: acknowledged(outbox), "the first delivery's acknowledgement")
        state = (await api.get("t-1")).body
    assert state["customer_messages"] == 1
    assert acknowledgements(outbox) == 1
    assert await replay_every_run(client, settings.task_queue) == 1


async def test_reply_retried_with_the_same_idempotency_key_reaches_the_customer_once(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    async with serve_gateway(FakeGateway()) as gateway:
        chosen = settings.model_copy(update={"gateway_url": gateway.url, "gateway_secret": SecretStr(SECRET)})
        async with serve_service(client, chosen, tenants) as api:
            started = await api.post_message(
                "wa-reply", "wamid.1", channel="whatsapp", sender="+4915100000001"
            )
            assert started.status == 201, started.body
            path = "/v1/conversations/wa-reply/replies"
            body = {"agent_id": "agent-7", "text": "Refunded, sorry!"}
            key = {"Idempotency-Key": "reply-7f3a"}
            first = await api.request("POST", path, json=body, headers=key)
            retries = [await api.request("POST", path, json=body, headers=key) for _ in range(3)]
            with_both = await api.request(
                "POST", path, json={**body, "message_id": "reply-7f3a"}, headers=key
            )
            state = (await api.get("wa-reply")).body
        sent = [r.json["text"] for r in gateway.requests if r.json["kind"] == "agent_reply"]
    assert first.status == 200 and first.body["duplicate"] is False
    assert [r.body["duplicate"] for r in [*retries, with_both]] == [True] * 4
    assert sent == ["Refunded, sorry!"]
    assert state["agent_messages"] == 1


async def test_reply_needs_an_idempotency_identity(api: ApiClient) -> None:
    path = "/v1/conversations/c-any/replies"
    body = {"agent_id": "agent-7", "text": "Refunded, sorry!"}
    missing = await api.request("POST", path, json=body)
    assert missing.status == 422 and [f["field"] for f in missing.body["fields"]] == ["message_id"]
    assert "Idempotency-Key" in missing.body["message"]
    differ = await api.request(
        "POST", path, json={**body, "message_id": "r-1"}, headers={"Idempotency-Key": "r-2"}
    )
    assert differ.status == 422 and [f["field"] for f in differ.body["fields"]] == ["message_id"]
    bad_key = await api.request("POST", path, json=body, headers={"Idempotency-Key": "x" * 300})
    assert bad_key.status == 422 and [f["field"] for f in bad_key.body["fields"]] == ["Idempotency-Key"]


def inbound(message_id: str, text: str = "Hallo") -> bytes:
    return json.dumps(
        {
            "type": "message.inbound",
            "channel": "whatsapp",
            "conversation_id": "wa-retry",
            "message_id": message_id,
            "sender": {"address": "+4915100000004"},
            "text": text,
        }
    ).encode()


async def answered(send: Callable[[], Awaitable[Reply]]) -> Reply:
    """As a gateway does: send again while the answer is 503 (the worker may still be warming up)."""
    for _ in range(30):
        answer = await send()
        if answer.status != 503:
            return answer
    raise AssertionError("still 503 after 30 attempts")


async def test_webhook_retried_after_a_503_is_delivered_not_called_a_duplicate(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    chosen = settings.model_copy(update={"gateway_secret": SecretStr(SECRET), "update_timeout_seconds": 1.0})
    path = f"/v1/inbound/webhook/{tenants['acme']}"

    def webhook(webhook_id: str, body: bytes) -> Callable[[], Awaitable[Reply]]:
        signed = webhook_signature.headers(SECRET, webhook_id, int(time.time()), body)
        return lambda: api.request("POST", path, data=body, tenant=None, headers=signed)

    async with serve_api(client, chosen, tenants) as api:  # one app: it remembers webhook ids
        send = webhook("evt-retry", inbound("wamid.9"))
        first = await send()  # no worker yet
        assert first.status == 503, first.body
        async with build_worker(client, chosen):
            retried = await answered(send)
            assert retried.status in (200, 201), retried.body
            assert retried.body["conversation_id"] == "wa-retry"  # the workflow's receipt
            replayed = await answered(send)
            assert replayed.status == 200 and replayed.body == {
                "duplicate": True,
                "webhook_id": "evt-retry",
                "conversation_id": "wa-retry",
            }

            # One webhook delivered twice at once is still one message.
            twin = webhook("evt-twin", inbound("wamid.10", "Noch da?"))
            both = await asyncio.gather(answered(twin), answered(twin))
            assert [r.status for r in both] == [200, 200]

            # Answered when recorded: the conversation counts the message once it is handled.
            async def both_handled() -> bool:
                return (await answered(lambda: api.get("wa-retry"))).body["customer_messages"] >= 2

            await eventually(both_handled, "the two messages handled")
            state = (await answered(lambda: api.get("wa-retry"))).body
    assert state["customer_messages"] == 2
    assert await replay_every_run(client, chosen.task_queue) == 1
