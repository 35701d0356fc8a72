"""Tenants and API keys in the database: created and revoked with the CLI while the API runs.

The store tests run on SQLite and PostgreSQL; the end-to-end tests drive `convoflow tenants|keys` and
a running API on the test's embedded SQLite database, as an operator would.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from engine.db.keys import (
    TenantExists,
    UnknownTenant,
    create_key,
    create_tenant,
    ensure_tenant,
    identity_of,
    key_hash,
    list_keys,
    revoke_key,
)
from engine.db.schema import api_keys
from engine.service import runtime
from engine.service.config import Settings
from engine.service.database import database_of
from tests.api_client import ApiClient
from tests.cli_run import cli, piped_into_head
from tests.conftest import serve_api, serve_service


async def test_keys_are_stored_as_hashes_and_revoked_once(database: AsyncEngine) -> None:
    await create_tenant(database, "acme")
    with pytest.raises(TenantExists):
        await create_tenant(database, "acme")
    with pytest.raises(UnknownTenant):
        await create_key(database, "nobody", "admin")
    with pytest.raises(ValueError, match="unknown role"):
        await create_key(database, "acme", "root")
    info, key = await create_key(database, "acme", "integrator")
    identity = await identity_of(database, key_hash(key))
    assert identity is not None and (identity.tenant, identity.role) == ("acme", "integrator")
    async with database.connect() as connection:
        stored = [tuple(row) for row in await connection.execute(select(api_keys))]
    assert stored and not any(key in str(value) for row in stored for value in row)
    assert [(k.key_id, k.role, k.revoked_at) for k in await list_keys(database, "acme")] == [
        (info.key_id, "integrator", None)
    ]
    assert await revoke_key(database, info.key_id) is True
    assert await revoke_key(database, info.key_id) is False
    assert await identity_of(database, key_hash(key)) is None
    assert (await list_keys(database, "acme"))[0].revoked_at is not None


async def new_key(
    capsys: pytest.CaptureFixture[str], tenant: str, role: str = "integrator"
) -> tuple[str, str]:
    created = await cli(capsys, "key", "create", "--tenant", tenant, "--role", role)
    assert created.returncode == 0, created.stderr
    first, key = created.stdout.splitlines()
    assert first.startswith("key_id k_") and key.startswith("cfk_")
    assert "not shown again" in created.stderr and key not in created.stderr
    return first.removeprefix("key_id "), key


async def as_key(api: ApiClient, key: str, method: str = "GET", path: str = "/v1/conversations", **kw):
    return await api.request(method, path, tenant=None, headers={"Authorization": f"Bearer {key}"}, **kw)


async def test_a_cli_key_works_at_once_and_stops_after_revoke(
    client: Client, cli_settings: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    async with serve_api(client, cli_settings, tenants) as api:
        assert (await cli(capsys, "tenant", "create", tenant)).returncode == 0
        assert tenant in (await cli(capsys, "tenant", "list")).stdout.splitlines()
        again = await cli(capsys, "tenant", "create", tenant)
        assert again.returncode == 2 and "exists already" in again.stderr
        key_id, key = await new_key(capsys, tenant)
        assert (await as_key(api, key)).status == 200
        listed = await cli(capsys, "key", "list", "--tenant", tenant)
        assert key_id in listed.stdout and "integrator" in listed.stdout and key not in listed.stdout
        assert (await cli(capsys, "key", "revoke", key_id)).returncode == 0
        deadline = asyncio.get_running_loop().time() + 15
        while (reply := await as_key(api, key)).status != 401:
            assert asyncio.get_running_loop().time() < deadline, "a revoked key still authenticates"
            await asyncio.sleep(0.2)
        assert reply.body["message"] == "unknown API key"
        # RFC 9110 requires a 401 to name its scheme (RFC 6750: the token sent is the invalid one).
        assert reply.headers["WWW-Authenticate"] == 'Bearer realm="convoflow", error="invalid_token"'
        anonymous = await api.request("GET", "/v1/conversations", tenant=None)
        assert anonymous.status == 401 and anonymous.headers["WWW-Authenticate"] == 'Bearer realm="convoflow"'
        listed = await cli(capsys, "key", "list", "--tenant", tenant)
        assert listed.stdout.splitlines()[1].split()[-1] != "-"  # the revoked column has a time now
        assert (await cli(capsys, "key", "revoke", key_id)).returncode == 1
        unknown = await cli(capsys, "key", "create", "--tenant", "no-such-tenant", "--role", "admin")
        assert unknown.returncode == 2 and "tenant create" in unknown.stderr
        # Listing a tenant nobody created (a typo) answered an empty table, as if it had nothing.
        for listing in (("key", "list"), ("webhook-secret", "list"), ("quarantine", "list")):
            nothing = await cli(capsys, *listing, "--tenant", "no-such-tenant")
            assert nothing.returncode == 2, listing
            assert (
                nothing.stderr.strip()
                == "convoflow: no tenant 'no-such-tenant': create it with `convoflow tenant create`"
            )
        # The keys of CONVOFLOW_API_KEYS keep working beside the database's.
        assert (await api.request("GET", "/v1/conversations")).status == 200


async def test_a_key_revoked_through_the_api_stops_on_that_api_at_once(api: ApiClient) -> None:
    """It answered for up to 5 s after its DELETE (the key cache's life) on the very API that took
    the DELETE: an admin revoking a leaked key saw it still work."""
    created = await api.request("POST", "/v1/keys", json={"role": "integrator"})
    assert created.status == 201, created.body
    key = created.body["key"]
    assert (await as_key(api, key)).status == 200  # known now, and cached as valid
    revoked = await api.request("DELETE", f"/v1/keys/{created.body['key_id']}")
    assert revoked.status == 200, revoked.body
    assert (await as_key(api, key)).status == 401


async def test_a_key_of_another_tenant_cannot_reach_a_conversation(
    client: Client, cli_settings: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = f"a-{uuid.uuid4().hex[:8]}", f"b-{uuid.uuid4().hex[:8]}"
    for tenant in (first, second):
        assert (await cli(capsys, "tenant", "create", tenant)).returncode == 0
    _, first_key = await new_key(capsys, first, "integrator")
    _, second_key = await new_key(capsys, second, "admin")
    message = {"message_id": "m-1", "channel": "email", "sender": {"address": "a@example.com"}, "text": "Hi"}
    async with serve_service(client, cli_settings, tenants) as api:
        path = "/v1/conversations/private-1"
        assert (await as_key(api, first_key, "POST", f"{path}/messages", json=message)).status == 201
        assert (await as_key(api, first_key, "GET", path)).status == 200
        assert (await as_key(api, second_key, "GET", path)).status == 404
        listed = await as_key(api, second_key)
        assert listed.status == 200 and listed.body["conversations"] == []
        reply = {"agent_id": "mallory", "text": "hi", "message_id": "r-1"}
        stolen = await as_key(api, second_key, "POST", f"{path}/replies", json=reply)
        assert stolen.status == 404
        assert (await api.get("private-1")).status == 404  # nor an environment key's tenant


async def test_the_development_key_is_offered_only_while_no_key_takes_over(settings: Settings) -> None:
    # Against a cluster never: an API with no key configured printed an admin key and took it.
    cluster = settings.model_copy(update={"api_keys": None, "api_keys_file": None})
    assert not cluster.embedded and (await runtime._keys(cluster))[1] is None
    bare = settings.model_copy(update={"api_keys": None, "api_keys_file": None, "temporal_address": None})
    keys, dev_key = await runtime._keys(bare)
    assert dev_key is not None and keys.tenant_for(dev_key) == "dev"
    database = database_of(bare)
    try:
        await create_tenant(database, "solo")
        for tenant, role in (("solo", "admin"), ("solo", "ops")):  # any key of another tenant retires it
            info, _ = await create_key(database, tenant, role)
            assert (await runtime._keys(bare))[1] is None, (tenant, role)
            await revoke_key(database, info.key_id)
            assert (await runtime._keys(bare))[1] == dev_key
        # The development tenant's own auditor key (README's walk-through) keeps it; its admin does not.
        await ensure_tenant(database, "dev")
        await create_key(database, "dev", "auditor")
        assert (await runtime._keys(bare))[1] == dev_key
        await create_key(database, "dev", "admin")
        assert (await runtime._keys(bare))[1] is None
    finally:
        await database.dispose()


def test_a_key_list_piped_into_head_stops_quietly(tmp_path: Path) -> None:
    """`convoflow key list | head -1` printed "convoflow: database: [Errno 32] Broken pipe" and exit 1:
    the closed pipe was taken for the database. It stops quietly with 141, as README says."""
    data_dir = tmp_path / "data"
    env = {**os.environ, "CONVOFLOW_DATA_DIR": str(data_dir)}
    env.pop("CONVOFLOW_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "engine.cli", "tenant", "create", "big"], env=env, check=True)

    async def many_keys() -> None:
        database = database_of(Settings(data_dir=data_dir))
        try:  # rows past a pipe's buffer (64 KiB), so the listing meets the closed end
            for _ in range(800):
                await create_key(database, "big", "ops")
        finally:
            await database.dispose()

    asyncio.run(many_keys())
    run = piped_into_head(["key", "list", "--tenant", "big"], env=env)
    assert run.stdout.startswith("KEY_ID"), run.stdout
    assert (run.returncode, run.stderr) == (141, "")
