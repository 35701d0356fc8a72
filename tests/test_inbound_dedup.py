"""Inbound dedup in the database: webhook ids and email Message-IDs stay seen across API restarts
and replicas, per tenant, for a bounded retention (store tests on SQLite and a real PostgreSQL)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from engine import webhook_signature
from engine.db.connection import open_engine
from engine.db.inbound_seen import InboundSeen, Seen
from engine.db.schema import inbound_seen
from engine.service.config import Settings
from engine.service.worker import build_worker
from tests.conftest import serve_api
from tests.test_adapters import raw_email

SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc4OQ=="
BODY = (
    b'{"type":"message.inbound","channel":"whatsapp","conversation_id":"wa-restart",'
    b'"message_id":"wamid.1","sender":{"address":"+4915100000003"},"text":"Hallo"}'
)


async def test_an_id_is_seen_per_tenant_and_kind_by_every_replica(
    database: AsyncEngine, database_url: str
) -> None:
    other_replica = open_engine(database_url)
    try:
        first, second = InboundSeen(database), InboundSeen(other_replica)
        assert not await first.seen("acme", "webhook", "evt-1")
        # Two replicas remembering one id at once: the key decides, neither fails.
        await asyncio.gather(
            first.remember("acme", "webhook", "evt-1", "c-1"),
            second.remember("acme", "webhook", "evt-1", "c-1"),
        )
        assert await second.seen("acme", "webhook", "evt-1") == Seen(conversation_id="c-1")
        assert not await second.seen("globex", "webhook", "evt-1")
        assert not await second.seen("acme", "email", "evt-1")
    finally:
        await other_replica.dispose()


async def test_ids_past_the_retention_are_forgotten_and_purged(database: AsyncEngine) -> None:
    store = InboundSeen(database, retention=timedelta(days=7))
    await store.remember("acme", "email", "<old@x>", "c-old")
    await store.remember("acme", "email", "<new@x>", "c-new")
    async with database.begin() as connection:
        await connection.execute(
            update(inbound_seen)
            .where(inbound_seen.c.external_id == "<old@x>")
            .values(seen_at=datetime.now(UTC) - timedelta(days=8))
        )
    assert not await store.seen("acme", "email", "<old@x>")
    assert await store.purge() == 1
    assert await store.seen("acme", "email", "<new@x>")
    await store.remember("acme", "email", "<old@x>", "c-later")  # seen again after it was forgotten
    assert await store.seen("acme", "email", "<old@x>") == Seen(conversation_id="c-later")


async def test_a_restarted_api_still_refuses_a_replayed_webhook_and_email(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    chosen = settings.model_copy(update={"gateway_secret": SecretStr(SECRET)})
    path = f"/v1/inbound/webhook/{tenants['acme']}"
    signed = webhook_signature.headers(SECRET, "evt-restart", int(time.time()), BODY)
    mail = raw_email("<restart@customer.example>", "Hello again")
    email_headers = {"Content-Type": "message/rfc822"}
    async with build_worker(client, chosen):
        async with serve_api(client, chosen, tenants) as api:
            accepted = await api.request("POST", path, data=BODY, tenant=None, headers=signed)
            assert accepted.status == 201, accepted.body
            mailed = await api.request("POST", "/v1/inbound/email", data=mail, headers=email_headers)
            assert mailed.status == 201, mailed.body
        async with serve_api(client, chosen, tenants) as restarted:  # a new app on the same database
            replayed = await restarted.request("POST", path, data=BODY, tenant=None, headers=signed)
            assert replayed.status == 200 and replayed.body == {
                "duplicate": True,
                "webhook_id": "evt-restart",
                "conversation_id": "wa-restart",
            }
            again = await restarted.request("POST", "/v1/inbound/email", data=mail, headers=email_headers)
            assert again.status == 200
            # The relay's retry learns where its mail went, as the first answer said.
            assert again.body == {
                "duplicate": True,
                "message_id": "<restart@customer.example>",
                "conversation_id": mailed.body["conversation_id"],
            }
