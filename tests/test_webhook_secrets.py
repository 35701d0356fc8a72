"""Webhook secrets per tenant and channel: rotation with an overlap, through the store, the CLI and
the admin API. Store tests run on SQLite and PostgreSQL; retirement is moved in time through the
store (`valid(now=...)`, `retire`), never waited for."""

from __future__ import annotations

import asyncio
import base64
import time
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from engine import webhook_signature
from engine.api.openapi import build_document
from engine.db.connection import open_engine
from engine.db.keys import create_key, create_tenant
from engine.db.webhook_secrets import UnknownTenant, WebhookSecrets
from engine.service.config import Settings
from engine.service.database import database_of
from tests.cli_run import cli
from tests.conftest import serve_service
from tests.local_servers import FakeGateway, serve_gateway
from tests.polling import eventually
from tests.webhook_posts import create_tenants, event, post, rotate


def secrets_of(valid: tuple[bool, list]) -> set[str]:
    return {s.secret for s in valid[1]}


async def test_a_rotated_secret_verifies_until_it_retires_then_only_the_new_one(
    database: AsyncEngine,
) -> None:
    store = WebhookSecrets(database)
    await create_tenant(database, "acme")
    assert await store.valid("acme") == (set(), [])
    first, old = await store.rotate("acme", "whatsapp")
    assert old.startswith("whsec_") and len(base64.b64decode(old.removeprefix("whsec_"))) == 32
    _, sms = await store.rotate("acme", "sms")
    second, new = await store.rotate("acme", "whatsapp", overlap=timedelta(hours=2))
    now = datetime.now(UTC)
    assert secrets_of(await store.valid("acme", now)) == {old, new, sms}
    assert {(s.channel, s.secret) for s in (await store.valid("acme", now))[1]} == {
        ("whatsapp", old),
        ("whatsapp", new),
        ("sms", sms),
    }
    assert secrets_of(await store.valid("acme", now + timedelta(hours=3))) == {new, sms}
    listed = {info.secret_id: info for info in await store.list_for("acme")}
    assert listed[second.secret_id].retires_at is None
    retires = listed[first.secret_id].retires_at
    assert retires is not None and timedelta(hours=1) < retires - now <= timedelta(hours=2)
    # Ending the overlap early: the old secret stops at once, the new one goes on.
    assert await store.retire("acme", first.secret_id, now - timedelta(seconds=1))
    assert secrets_of(await store.valid("acme", now)) == {new, sms}
    assert not await store.retire("globex", second.secret_id, now)  # another tenant's id
    # A leak: overlap 0 retires the previous one at once, and a later long overlap does not revive it.
    _, newest = await store.rotate("acme", "whatsapp", overlap=timedelta(0))
    await store.rotate("acme", "whatsapp", overlap=timedelta(days=1))
    whatsapp = {s.secret for s in (await store.valid("acme"))[1] if s.channel == "whatsapp"}
    assert newest in whatsapp and new not in whatsapp and len(whatsapp) == 2
    with pytest.raises(UnknownTenant):
        await store.rotate("nobody", "sms")


async def test_concurrent_rotations_leave_exactly_one_newest_secret(
    database: AsyncEngine, database_url: str
) -> None:
    await create_tenant(database, "acme")
    other_process = open_engine(database_url)
    try:
        stores = [WebhookSecrets(database), WebhookSecrets(other_process)]
        await asyncio.gather(*(stores[n % 2].rotate("acme", "chat") for n in range(6)))
    finally:
        await other_process.dispose()
    listed = await WebhookSecrets(database).list_for("acme")
    assert len(listed) == 6 and [info.retires_at for info in listed].count(None) == 1


async def test_the_cli_prints_a_new_secret_once_and_it_signs_the_tenants_webhooks(
    client: Client, cli_settings: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    acme = tenants["acme"]
    created = await cli(capsys, "webhook-secret", "rotate", "--tenant", acme, "--channel", "whatsapp")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.splitlines()[-1]
    assert secret.startswith("whsec_")
    assert (created.stdout + created.stderr).count(secret) == 1 and "not shown again" in created.stderr
    rotated = await cli(
        capsys, "webhook-secret", "rotate", "--tenant", acme, "--channel", "whatsapp", "--overlap", "0"
    )
    newest = rotated.stdout.splitlines()[-1]
    listed = await cli(capsys, "webhook-secret", "list", "--tenant", acme)
    assert listed.returncode == 0 and "whsec_" not in listed.stdout
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]
    assert [(row[1], row[-1] == "-") for row in rows] == [("whatsapp", False), ("whatsapp", True)]
    unknown = await cli(capsys, "webhook-secret", "rotate", "--tenant", "no-such", "--channel", "sms")
    assert unknown.returncode == 2 and "tenant create" in unknown.stderr
    with pytest.raises(SystemExit) as bad:  # argparse names the choices
        await cli(capsys, "webhook-secret", "rotate", "--tenant", acme, "--channel", "fax")
    assert bad.value.code == 2 and "whatsapp" in capsys.readouterr().err
    async with serve_service(client, cli_settings, tenants) as api:
        retired = await post(api, acme, secret, event("wa-cli", "wamid.1"), "evt-old")
        assert retired.status == 401  # --overlap 0 retired it at once
        accepted = await post(api, acme, newest, event("wa-cli", "wamid.1"), "evt-new")
        assert accepted.status == 201, accepted.body


async def test_an_admin_key_rotates_and_lists_through_the_api_and_others_get_403(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    acme = tenants["acme"]  # its key from the settings is an admin key
    database = database_of(settings)
    async with serve_service(client, settings, tenants) as api:
        path = "/v1/webhook-secrets/whatsapp/rotate"
        first = await api.request("POST", path)
        assert first.status == 201, first.body
        second = await api.request("POST", path, json={"overlap_hours": 1})
        assert second.status == 201 and second.body["secret"] != first.body["secret"]
        both = [
            await post(api, acme, first.body["secret"], event("wa-api", "wamid.1"), "evt-1"),
            await post(api, acme, second.body["secret"], event("wa-api", "wamid.2"), "evt-2"),
        ]
        assert [r.status for r in both] == [201, 200]  # the second message joins the conversation
        # The overlap ends (moved through the store rather than waited for): only the new one verifies.
        await WebhookSecrets(database).retire(acme, first.body["secret_id"], datetime.now(UTC))
        old = await post(api, acme, first.body["secret"], event("wa-api", "wamid.3"), "evt-3")
        new = await post(api, acme, second.body["secret"], event("wa-api", "wamid.4"), "evt-4")
        assert (old.status, new.status) == (401, 200)

        async def three() -> bool:  # answered when recorded: counted once handled
            return (await api.get("wa-api")).body["customer_messages"] >= 3

        await eventually(three, "three messages handled")
        assert (await api.get("wa-api")).body["customer_messages"] == 3
        listed = await api.request("GET", "/v1/webhook-secrets")
        assert listed.status == 200 and "whsec_" not in str(listed.body)
        assert [(s["secret_id"], s["retires_at"] is None) for s in listed.body["secrets"]] == [
            (first.body["secret_id"], False),
            (second.body["secret_id"], True),
        ]
        assert (await api.request("GET", "/v1/webhook-secrets", tenant="globex")).body == {
            "secrets": [],
            "next": None,
        }
        fax = await api.request("POST", "/v1/webhook-secrets/fax/rotate")
        assert fax.status == 422 and fax.body["fields"][0]["field"] == "channel"
        long = await api.request("POST", path, json={"overlap_hours": 10_000})
        assert long.status == 422 and long.body["fields"][0]["field"] == "overlap_hours"
        # "1" (a string) rotated the secret, where every other number of a body is a JSON number
        worded = await api.request("POST", path, json={"overlap_hours": "1"})
        assert worded.status == 422 and worded.body["fields"][0]["field"] == "overlap_hours"
        _, key = await create_key(database, acme, "integrator")
        for method, route in (("POST", path), ("GET", "/v1/webhook-secrets")):
            denied = await api.request(method, route, tenant=None, headers={"Authorization": f"Bearer {key}"})
            assert denied.status == 403
            assert denied.body["fields"] == [{"field": "role", "message": "needs admin"}]
        assert len((await api.request("GET", "/v1/webhook-secrets")).body["secrets"]) == 2
    await database.dispose()


async def test_outbound_messages_are_signed_with_the_tenants_channel_secrets_during_a_rotation(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    shared = "whsec_" + base64.b64encode(b"s" * 32).decode()
    acme = tenants["acme"]
    await create_tenants(settings, acme)
    _, old = await rotate(settings, acme, "whatsapp")
    _, new = await rotate(settings, acme, "whatsapp")  # both valid for the 24 h overlap
    async with serve_gateway(FakeGateway()) as gateway:
        chosen = settings.model_copy(update={"gateway_url": gateway.url, "gateway_secret": SecretStr(shared)})
        async with serve_service(client, chosen, tenants) as api:
            for tenant in ("acme", "globex"):
                started = await api.post_message(
                    f"wa-{tenant}", "wamid.1", channel="whatsapp", sender="+4915100000001", tenant=tenant
                )
                assert started.status == 201, started.body
    signed_by = {}
    for request in gateway.requests:
        candidates = [old, new, shared]
        _, matched = webhook_signature.verify_any(candidates, request.headers, request.body, int(time.time()))
        signed_by[request.json["tenant"]] = {candidates[i] for i in matched}
    # Whichever of the two secrets the tenant's gateway holds, it verifies; the shared secret does not.
    assert signed_by == {acme: {old, new}, tenants["globex"]: {shared}}


def test_the_rotate_route_documents_its_body_as_optional() -> None:
    rotate_route = build_document()["paths"]["/v1/webhook-secrets/{channel}/rotate"]["post"]
    assert rotate_route["requestBody"]["required"] is False and rotate_route["security"] == [{"bearer": []}]
