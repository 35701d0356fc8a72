"""Roles per API key: each route answers only the roles it lists, 403 naming the role it needs, and
a tenant's admin manages its own tenant's keys (and nobody else's) through the API."""

from __future__ import annotations

import asyncio

import pytest

from engine.api.roles import ROUTE_ROLES
from engine.db.keys import create_key
from engine.service.config import Settings
from engine.service.database import database_of
from tests.api_client import ApiClient, Reply
from tests.conftest import TEST_PACKS
from tests.pack_texts import pack_text

ROLES = ("admin", "ops", "auditor", "integrator")

# One request per route; a body the handler refuses cheaply (422) is enough: a role check comes first.
PROBES: dict[tuple[str, str], tuple[str, dict | None]] = {
    ("GET", "/v1/conversations"): ("/v1/conversations", None),
    ("GET", "/v1/conversations/{conversation_id}"): ("/v1/conversations/c-1", None),
    ("GET", "/v1/conversations/{conversation_id}/threads"): ("/v1/conversations/c-1/threads", None),
    ("GET", "/v1/conversations/{conversation_id}/decisions"): ("/v1/conversations/c-1/decisions", None),
    ("GET", "/v1/conversations/{conversation_id}/export"): ("/v1/conversations/c-1/export", None),
    ("POST", "/v1/conversations/{conversation_id}/messages"): ("/v1/conversations/c-1/messages", {}),
    ("POST", "/v1/conversations/{conversation_id}/replies"): ("/v1/conversations/c-1/replies", {}),
    ("POST", "/v1/conversations/{conversation_id}/status"): ("/v1/conversations/c-1/status", {}),
    ("POST", "/v1/conversations/{conversation_id}/assignment"): ("/v1/conversations/c-1/assignment", {}),
    ("POST", "/v1/conversations/{conversation_id}/unassignment"): ("/v1/conversations/c-1/unassignment", {}),
    ("POST", "/v1/conversations/{conversation_id}/survey"): ("/v1/conversations/c-1/survey", {}),
    ("POST", "/v1/inbound/email"): ("/v1/inbound/email", None),
    ("GET", "/v1/quarantine"): ("/v1/quarantine", None),
    ("GET", "/v1/quarantine/{quarantine_id}"): (f"/v1/quarantine/q_{'0' * 24}", None),
    ("GET", "/v1/quarantine/{quarantine_id}/raw"): (f"/v1/quarantine/q_{'0' * 24}/raw", None),
    ("POST", "/v1/quarantine/{quarantine_id}/release"): (f"/v1/quarantine/q_{'0' * 24}/release", None),
    ("DELETE", "/v1/quarantine/{quarantine_id}"): (f"/v1/quarantine/q_{'0' * 24}", None),
    ("POST", "/v1/rules/validate"): ("/v1/rules/validate", {}),
    ("POST", "/v1/rules/check"): ("/v1/rules/check", {}),
    ("POST", "/v1/rules/test"): ("/v1/rules/test", {}),
    ("POST", "/v1/rules/simulate"): ("/v1/rules/simulate", {}),
    ("POST", "/v1/rules/diff"): ("/v1/rules/diff", {}),
    ("POST", "/v1/rules/coverage"): ("/v1/rules/coverage", {}),
    ("POST", "/v1/rules/publish"): ("/v1/rules/publish", {}),
    ("GET", "/v1/rules/versions"): ("/v1/rules/versions", None),
    ("GET", "/v1/rules/activations"): ("/v1/rules/activations", None),
    ("POST", "/v1/rules/shadow"): ("/v1/rules/shadow", {}),
    ("GET", "/v1/rules/shadow"): ("/v1/rules/shadow", None),
    ("DELETE", "/v1/rules/shadow"): ("/v1/rules/shadow", None),
    ("GET", "/v1/rules/shadow/report"): ("/v1/rules/shadow/report", None),
    ("POST", "/v1/rules/shadow/promote"): ("/v1/rules/shadow/promote", {}),
    ("GET", "/v1/rules/proposals"): ("/v1/rules/proposals", None),
    ("GET", "/v1/rules/proposals/{proposal_id}"): ("/v1/rules/proposals/p_0000000000000000", None),
    ("POST", "/v1/rules/proposals/{proposal_id}/approve"): (
        "/v1/rules/proposals/p_0000000000000000/approve",
        {},
    ),
    ("POST", "/v1/rules/proposals/{proposal_id}/reject"): (
        "/v1/rules/proposals/p_0000000000000000/reject",
        {},
    ),
    ("GET", "/v1/tenant/settings"): ("/v1/tenant/settings", None),
    ("PUT", "/v1/tenant/settings"): ("/v1/tenant/settings", {"require_approval": "maybe"}),
    ("GET", "/v1/keys"): ("/v1/keys", None),
    ("POST", "/v1/keys"): ("/v1/keys", {}),
    ("DELETE", "/v1/keys/{key_id}"): ("/v1/keys/k_0000000000000000", None),
    ("GET", "/v1/webhook-secrets"): ("/v1/webhook-secrets", None),
    ("POST", "/v1/webhook-secrets/{channel}/rotate"): ("/v1/webhook-secrets/fax/rotate", {}),
    ("POST", "/v1/agents"): ("/v1/agents", {}),
    ("GET", "/v1/agents"): ("/v1/agents", None),
    ("GET", "/v1/agents/{agent_id}"): ("/v1/agents/ghost", None),
    ("DELETE", "/v1/agents/{agent_id}"): ("/v1/agents/ghost", None),
    ("PUT", "/v1/agents/{agent_id}/presence"): ("/v1/agents/ghost/presence", {}),
    ("POST", "/v1/agents/{agent_id}/heartbeat"): ("/v1/agents/ghost/heartbeat", None),
    ("GET", "/v1/teams/{team}/queue"): ("/v1/teams/nowhere/queue", None),
    ("GET", "/v1/kpis"): ("/v1/kpis", None),
    ("GET", "/v1/conversations/{conversation_id}/timeline"): ("/v1/conversations/c-1/timeline", None),
    ("POST", "/v1/subscriptions"): ("/v1/subscriptions", {}),
    ("GET", "/v1/subscriptions"): ("/v1/subscriptions", None),
    ("GET", "/v1/subscriptions/{subscription_id}"): (f"/v1/subscriptions/sub_{'0' * 24}", None),
    ("PATCH", "/v1/subscriptions/{subscription_id}"): (f"/v1/subscriptions/sub_{'0' * 24}", {"paused": True}),
    ("DELETE", "/v1/subscriptions/{subscription_id}"): (f"/v1/subscriptions/sub_{'0' * 24}", None),
    ("POST", "/v1/subscriptions/{subscription_id}/rotate-secret"): (
        f"/v1/subscriptions/sub_{'0' * 24}/rotate-secret",
        {},
    ),
    ("GET", "/v1/subscriptions/{subscription_id}/deliveries"): (
        f"/v1/subscriptions/sub_{'0' * 24}/deliveries",
        None,
    ),
    ("GET", "/v1/subscriptions/{subscription_id}/given-up"): (
        f"/v1/subscriptions/sub_{'0' * 24}/given-up",
        None,
    ),
    ("POST", "/v1/subscriptions/{subscription_id}/redeliver"): (
        f"/v1/subscriptions/sub_{'0' * 24}/redeliver",
        None,
    ),
    ("POST", "/v1/customers/search"): ("/v1/customers/search", {}),
    ("POST", "/v1/customers/export"): ("/v1/customers/export", {}),
    ("POST", "/v1/customers/erasures"): ("/v1/customers/erasures", {}),
    ("GET", "/v1/customers/erasures"): ("/v1/customers/erasures", None),
}


async def keys_by_role(settings: Settings, tenant: str) -> dict[str, str]:
    database = database_of(settings)
    try:
        return {role: (await create_key(database, tenant, role))[1] for role in ROLES}
    finally:
        await database.dispose()


async def as_key(api: ApiClient, key: str, method: str, path: str, json: object = None) -> Reply:
    return await api.request(method, path, json=json, tenant=None, headers={"Authorization": f"Bearer {key}"})


def test_every_route_of_the_app_has_its_roles_listed(api: ApiClient) -> None:
    public = {"/healthz", "/readyz", "/v1/openapi.json", "/metrics"}
    routes = {
        (route.method, route.resource.canonical)
        for route in api.app.router.routes()
        if route.method != "HEAD" and route.resource is not None and route.resource.canonical not in public
    }
    signed = {r for r in routes if r[1].startswith("/v1/inbound/webhook/")}
    # The console's sign-in and files need no session (tests/test_console.py checks its roles).
    console_open = {r for r in routes if r[1] == "/console/sign-in" or r[1].startswith("/console/static/")}
    assert routes - signed - console_open == set(ROUTE_ROLES), (
        "a route without roles is admin-only: list it in roles.py"
    )
    assert set(PROBES) == {r for r in ROUTE_ROLES if not r[1].startswith("/console")}


async def test_each_role_reaches_exactly_its_routes(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    keys = await keys_by_role(settings, tenants["acme"])
    for (method, template), (path, body) in PROBES.items():
        for role, key in keys.items():
            reply = await as_key(api, key, method, path, body)
            allowed = role in ROUTE_ROLES[(method, template)]
            assert (reply.status != 403) == allowed, (
                f"{role} {method} {template}: {reply.status} {reply.body}"
            )
            if not allowed:
                assert reply.body["error"] == "forbidden"
                [field] = reply.body["fields"]
                assert field["field"] == "role" and field["message"].startswith("needs ")
                assert f"this key's role is {role}" in reply.body["message"]


async def test_the_roles_that_matter_most(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    """The attacks this closes: an integrator publishing rules, an auditor writing, ops reading mail."""
    keys = await keys_by_role(settings, tenants["acme"])
    publish = await as_key(api, keys["integrator"], "POST", "/v1/rules/publish", {"pack": "meta: {}"})
    assert publish.status == 403 and publish.body["fields"] == [{"field": "role", "message": "needs ops"}]
    reply = {"agent_id": "a", "text": "hi", "message_id": "r-1"}
    write = await as_key(api, keys["auditor"], "POST", "/v1/conversations/c-1/replies", reply)
    assert write.status == 403 and write.body["fields"][0]["message"] == "needs integrator"
    read = await as_key(api, keys["ops"], "GET", "/v1/conversations/c-1")  # a conversation itself
    assert read.status == 403
    # its list, no message in it, as the console's Conversations page shows ops (helper-118)
    assert (await as_key(api, keys["ops"], "GET", "/v1/conversations")).status == 200
    assert (await as_key(api, keys["auditor"], "GET", "/v1/conversations")).status == 200
    assert (await as_key(api, keys["auditor"], "GET", "/v1/rules/versions")).status == 200
    versions = await as_key(api, keys["ops"], "GET", "/v1/rules/versions")
    assert versions.status == 200 and versions.body["versions"] == []


async def test_an_admin_manages_its_own_tenants_keys_only(api: ApiClient) -> None:
    created = await api.request("POST", "/v1/keys", json={"role": "integrator"}, tenant="acme")
    assert created.status == 201 and created.headers["Cache-Control"] == "no-store"
    key, key_id = created.body["key"], created.body["key_id"]
    assert created.body["role"] == "integrator" and created.body["revoked_at"] is None
    assert (await as_key(api, key, "GET", "/v1/conversations")).status == 200
    assert (await as_key(api, key, "GET", "/v1/keys")).status == 403

    listed = (await api.request("GET", "/v1/keys", tenant="acme")).body["keys"]
    assert [k["key_id"] for k in listed] == [key_id] and "key" not in listed[0]
    assert (await api.request("GET", "/v1/keys", tenant="globex")).body["keys"] == []
    stolen = await api.request("DELETE", f"/v1/keys/{key_id}", tenant="globex")
    assert stolen.status == 404 and stolen.body["error"] == "key_not_found"
    assert (await as_key(api, key, "GET", "/v1/conversations")).status == 200

    bad = await api.request("POST", "/v1/keys", json={"role": "root"}, tenant="acme")
    assert bad.status == 422 and bad.body["fields"][0]["field"] == "role"
    malformed = await api.request("DELETE", "/v1/keys/..%2F..%2Fetc", tenant="acme")
    assert malformed.status in (404, 422)

    revoked = await api.request("DELETE", f"/v1/keys/{key_id}", tenant="acme")
    assert revoked.status == 200 and revoked.body == {"key_id": key_id, "revoked": True}
    assert (await api.request("DELETE", f"/v1/keys/{key_id}", tenant="acme")).status == 404
    deadline = asyncio.get_running_loop().time() + 15
    while (await as_key(api, key, "GET", "/v1/conversations")).status != 401:
        assert asyncio.get_running_loop().time() < deadline, "a revoked key still authenticates"
        await asyncio.sleep(0.2)
    [shown] = (await api.request("GET", "/v1/keys", tenant="acme")).body["keys"]
    assert shown["revoked_at"] is not None


@pytest.mark.parametrize("role", ["admin", "integrator"])
async def test_a_new_admin_key_can_create_keys_and_others_cannot(
    api: ApiClient, settings: Settings, tenants: dict[str, str], role: str
) -> None:
    key = (await keys_by_role(settings, tenants["globex"]))[role]
    created = await as_key(api, key, "POST", "/v1/keys", {"role": "ops"})
    assert created.status == (201 if role == "admin" else 403)


async def test_a_publication_records_the_key_that_published_it(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    database = database_of(settings)
    try:
        info, key = await create_key(database, tenants["acme"], "ops")
    finally:
        await database.dispose()
    pack = pack_text(TEST_PACKS / "basic")
    assert (await as_key(api, key, "POST", "/v1/rules/publish", {"pack": pack})).status == 201
    [version] = (await as_key(api, key, "GET", "/v1/rules/versions")).body["versions"]
    assert version["published_by"] == f"api:{tenants['acme']}/{info.key_id}"
