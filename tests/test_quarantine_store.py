"""The quarantine table (engine/db/mail_quarantine.py) on SQLite and a real PostgreSQL: one item per
tenant and Message-ID whatever the races, sealed under the tenant's key, gone after its retention."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from engine.db.mail_quarantine import MailQuarantine
from engine.db.schema import mail_quarantine
from engine.service.payload_keys import Keyring
from engine.service.quarantine_seal import QuarantineSealer

OLD = "k1:" + base64.b64encode(b"1" * 32).decode()
NEW = "k2:" + base64.b64encode(b"2" * 32).decode()
RAW = b"From: ada@customer.example\r\nSubject: hi\r\n\r\nsecret text\r\n"


def store(database: AsyncEngine, *keys: str, retention: timedelta = timedelta(days=30)) -> MailQuarantine:
    sealer = QuarantineSealer(Keyring.parse((",".join(keys), "test")) if keys else None)
    return MailQuarantine(database, sealer, retention=retention)


async def hold(
    quarantine: MailQuarantine, tenant: str = "acme", message_id: str = "<m-1@x>"
) -> tuple[str, bool]:
    return await quarantine.add(
        tenant,
        message_id=message_id,
        reason="spam",
        detail="X-Spam-Flag: YES",
        source="api",
        raw=RAW,
        summary={"sender": "ada@customer.example", "subject": "hi"},
    )


async def test_one_item_per_tenant_and_message_id_even_when_racing(database: AsyncEngine) -> None:
    quarantine = store(database, OLD)
    results = await asyncio.gather(*(hold(quarantine) for _ in range(5)))
    assert len({item_id for item_id, _ in results}) == 1 and sum(new for _, new in results) == 1
    other, new = await hold(quarantine, tenant="globex")
    assert new and other != results[0][0]
    assert [i.quarantine_id for i in await quarantine.page("globex", limit=10)] == [other]
    assert await quarantine.get("globex", results[0][0]) is None


async def test_sealed_under_the_tenants_key_and_readable_after_rotation(database: AsyncEngine) -> None:
    item_id, _ = await hold(store(database, OLD))
    async with database.connect() as connection:
        sealed = (await connection.execute(select(mail_quarantine.c.sealed))).scalar_one()
    assert b"secret text" not in sealed and b"ada@" not in sealed
    rotated = await store(database, OLD, NEW).get("acme", item_id, with_raw=True)
    assert rotated is not None and rotated.raw == RAW and rotated.summary["sender"] == "ada@customer.example"
    without_key = await store(database, NEW).get("acme", item_id, with_raw=True)
    assert without_key is not None and without_key.raw is None and "unreadable" in without_key.summary


async def test_items_expire_after_the_retention(database: AsyncEngine) -> None:
    short = store(database, OLD, retention=timedelta(0))  # expired the instant it is written
    item_id, _ = await hold(short)
    assert await short.get("acme", item_id) is None and await short.page("acme", limit=10) == []
    assert await short.purge() == 1


@pytest.mark.parametrize("released", [True, False])
async def test_release_is_recorded_once(database: AsyncEngine, released: bool) -> None:
    quarantine = store(database, OLD)
    item_id, _ = await hold(quarantine)
    if released:
        await quarantine.mark_released("acme", item_id, conversation_id="email-1", by="api:acme/k")
        await quarantine.mark_released("acme", item_id, conversation_id="email-2", by="api:acme/k")
    item = await quarantine.get("acme", item_id)
    assert item is not None and item.conversation_id == ("email-1" if released else None)
    assert [i.quarantine_id for i in await quarantine.page("acme", limit=10, released=released)] == [item_id]
