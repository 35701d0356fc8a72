"""Rate limits per tenant, per key, for rule packs and for signed webhooks, on the real API.

Limits are made small through settings and the windows long (60 s: one request of quota comes back
every 60 / quota seconds), so every test spends its quota at once and never waits for a refill; the
refill itself is shown on the limiter with a clock the test moves.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from engine import webhook_signature
from engine.api.openapi import build_document
from engine.api.rate_limits import Gcra, Policy
from engine.db.keys import TenantExists, create_tenant
from engine.db.tenant_limits import TenantLimits, limits_of, set_limits
from engine.service.config import Settings
from engine.service.database import database_of
from tests.api_client import ApiClient, Reply
from tests.cli_run import run_cli
from tests.conftest import serve_api

SECOND_KEY = "key-two-of-acme"
SECRET = "whsec_" + "c2VjcmV0LWtleS1mb3ItdGVzdHMtMDEyMzQ1Njc4OQ=="
LIST = "/v1/conversations"
# One member of a Structured Field list as the draft writes them: "name";key=integer;...
MEMBER = re.compile(r'^"([a-z]+)"((?:;[a-z]+=\d+)+)$')


def limited(settings: Settings, tenants: dict[str, str], **limits: int) -> Settings:
    """The test's settings with a second key for acme and the given CONVOFLOW_RATE_LIMIT_* values."""
    assert settings.api_keys is not None
    keys = f"{settings.api_keys.get_secret_value()},{tenants['acme']}:{SECOND_KEY}"
    update: dict = {f"rate_limit_{name}": value for name, value in limits.items()}
    return settings.model_copy(
        update={"api_keys": SecretStr(keys), "gateway_secret": SecretStr(SECRET), **update}
    )


def members(value: str) -> dict[str, dict[str, int]]:
    """A RateLimit or RateLimit-Policy field, parsed strictly: {policy: {parameter: value}}."""
    parsed = {}
    for member in value.split(", "):
        match = MEMBER.match(member)
        assert match, f"not a Structured Field list member: {member!r}"
        params = (p.split("=") for p in match.group(2)[1:].split(";"))
        parsed[match.group(1)] = {k: int(v) for k, v in params}
    return parsed


def standing(reply: Reply) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    return members(reply.headers["RateLimit-Policy"]), members(reply.headers["RateLimit"])


async def second_key(api: ApiClient, path: str = LIST) -> Reply:
    return await api.request("GET", path, tenant=None, headers={"Authorization": f"Bearer {SECOND_KEY}"})


async def test_a_burst_over_the_key_limit_is_429_while_other_keys_and_tenants_pass(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    chosen = limited(settings, tenants, key_per_minute=3, tenant_per_minute=10)
    async with serve_api(client, chosen, tenants) as api:
        seen = [await api.request("GET", LIST) for _ in range(3)]
        assert [r.status for r in seen] == [200, 200, 200]
        policies, left = standing(seen[0])
        assert policies == {"tenant": {"q": 10, "w": 60}, "key": {"q": 3, "w": 60}}
        assert [standing(r)[1]["key"]["r"] for r in seen] == [2, 1, 0]
        # One request of tenant quota comes back every 6 s: until then no more than r may be sent.
        assert left["tenant"]["r"] == 9 and 0 < left["tenant"]["t"] <= 6

        refused = await api.request("GET", LIST)
        assert refused.status == 429
        assert refused.body["error"] == "rate_limited" and refused.body["fields"] == []
        assert "key (3 requests per 60 s)" in refused.body["message"]
        # One request of quota comes back every 20 s: that is what the client is told to wait.
        assert 0 < int(refused.headers["Retry-After"]) <= 20
        policies, left = standing(refused)
        assert policies["key"] == {"q": 3, "w": 60} and left["key"]["r"] == 0
        # No effective window ends after Retry-After (draft section 6).
        assert 0 < left["key"]["t"] <= int(refused.headers["Retry-After"])
        assert left["tenant"]["t"] <= int(refused.headers["Retry-After"])

        other_key = await second_key(api)
        assert other_key.status == 200 and standing(other_key)[1]["key"]["r"] == 2
        other_tenant = await api.request("GET", LIST, tenant="globex")
        assert other_tenant.status == 200 and standing(other_tenant)[1]["tenant"]["r"] == 9
        # The refused request took nothing from the tenant's quota (with it, 3 + 1 + 1 + 1 spent).
        assert standing(await second_key(api))[1]["tenant"]["r"] == 5


async def test_the_tenant_limit_covers_all_its_keys(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    chosen = limited(settings, tenants, key_per_minute=100, tenant_per_minute=4)
    async with serve_api(client, chosen, tenants) as api:
        for _ in range(2):
            assert (await api.request("GET", LIST)).status == 200
            assert (await second_key(api)).status == 200
        refused = await second_key(api)
        assert refused.status == 429 and "tenant (4 requests per 60 s)" in refused.body["message"]
        assert (await api.request("GET", LIST)).status == 429
        assert (await api.request("GET", LIST, tenant="globex")).status == 200


async def test_a_tenants_own_limits_from_the_cli_override_the_defaults(
    client: Client, settings: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = limited(settings, tenants, key_per_minute=5, window_seconds=60)
    acme = tenants["acme"]
    database = database_of(chosen)
    try:
        try:
            await create_tenant(database, acme)
        except TenantExists:  # the settings' tenants may be created at start already
            pass
    finally:
        await database.dispose()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CONVOFLOW_DATA_DIR", str(chosen.data_dir))
        if chosen.database_url is not None:
            env.setenv("CONVOFLOW_DATABASE_URL", chosen.database)
        else:
            env.delenv("CONVOFLOW_DATABASE_URL", raising=False)
        ran = await asyncio.to_thread(run_cli, capsys, ["tenants", "limits", acme, "--key-per-minute", "2"])
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == '{"key_per_minute": 2}'
    async with serve_api(client, chosen, tenants) as api:
        assert [(await api.request("GET", LIST)).status for _ in range(3)] == [200, 200, 429]
        globex = [await api.request("GET", LIST, tenant="globex") for _ in range(5)]
        assert [r.status for r in globex] == [200] * 5
        assert standing(globex[0])[0]["key"] == {"q": 5, "w": 60}


async def test_rule_pack_posts_have_their_own_lower_limit(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    chosen = limited(settings, tenants, rules_per_minute=2)
    async with serve_api(client, chosen, tenants) as api:
        posts = [await api.request("POST", "/v1/rules/validate", json={"pack": "x: 1"}) for _ in range(3)]
        assert [r.status for r in posts[:2]] == [422, 422]  # a bad pack still costs its parsing
        assert posts[2].status == 429 and "rules (2 requests per 60 s)" in posts[2].body["message"]
        assert standing(posts[0])[0]["rules"] == {"q": 2, "w": 60}
        # Reading is not a rule-pack POST: still admitted, and told only of the tenant and key policies.
        read = await api.request("GET", LIST)
        assert read.status == 200 and set(standing(read)[0]) == {"tenant", "key"}
        assert (await api.request("POST", "/v1/rules/validate", json={}, tenant="globex")).status == 422


def webhook(tenant: str, webhook_id: str) -> tuple[str, bytes, dict[str, str]]:
    body = b'{"type": "message.inbound"}'  # signed, but not a message: 422 after the limiter counted it
    return (
        f"/v1/inbound/webhook/{tenant}",
        body,
        webhook_signature.headers(SECRET, webhook_id, int(time.time()), body),
    )


async def test_signed_webhooks_are_limited_per_tenant_and_forged_ones_spend_nothing(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    chosen = limited(settings, tenants, webhook_per_minute=2)
    async with serve_api(client, chosen, tenants) as api:
        path, body, headers = webhook(tenants["acme"], "evt-forged")
        forged = {**headers, "webhook-signature": "v1,AAAA"}
        for _ in range(5):
            reply = await api.request("POST", path, data=body, tenant=None, headers=forged)
            assert reply.status == 401 and "RateLimit" not in reply.headers
        replies = []
        for n in range(3):
            path, body, headers = webhook(tenants["acme"], f"evt-{n}")
            replies.append(await api.request("POST", path, data=body, tenant=None, headers=headers))
        assert [r.status for r in replies] == [422, 422, 429]
        assert standing(replies[0]) == ({"webhook": {"q": 2, "w": 60}}, {"webhook": {"r": 1, "t": 30}})
        assert int(replies[2].headers["Retry-After"]) > 0
        path, body, headers = webhook(tenants["globex"], "evt-0")
        assert (await api.request("POST", path, data=body, tenant=None, headers=headers)).status == 422


async def test_health_and_the_openapi_document_are_never_limited(
    client: Client, settings: Settings, tenants: dict[str, str]
) -> None:
    chosen = limited(settings, tenants, key_per_minute=1, tenant_per_minute=1)
    async with serve_api(client, chosen, tenants) as api:
        for path in ["/healthz", "/v1/openapi.json"] * 3:
            reply = await api.request("GET", path)
            assert reply.status == 200 and "RateLimit" not in reply.headers
        assert (await api.request("GET", LIST)).status == 200
        assert (await api.request("GET", LIST)).status == 429


def test_the_quota_refills_evenly_and_an_idle_client_gets_its_burst_back() -> None:
    now = [1000.0]
    limiter = Gcra(clock=lambda: now[0])
    policy = Policy(name="key", quota=3, window=60)
    assert [limiter.admit([(policy, "k")]).admitted for _ in range(4)] == [True, True, True, False]
    now[0] += 19.9
    refused = limiter.admit([(policy, "k")])
    assert not refused.admitted and refused.retry_after == 1
    now[0] += 0.1
    admitted = limiter.admit([(policy, "k")])
    assert admitted.admitted and admitted.standings[0].remaining == 0
    now[0] += 600
    back = limiter.admit([(policy, "k")])
    assert back.admitted and back.standings[0].remaining == 2 and back.standings[0].window == 20


def test_a_window_under_a_second_reads_as_one_not_zero() -> None:
    """`RateLimit: "key";r=0;t=0` said the quota came back now: a client trusting `t` retried at once,
    in a loop (helper-117). The seconds are rounded up."""
    now = [1000.0]
    limiter = Gcra(clock=lambda: now[0])
    policy = Policy(name="key", quota=3, window=60)
    for _ in range(3):
        limiter.admit([(policy, "k")])
    now[0] += 19.7  # 0.3 s before one request of quota comes back
    refused = limiter.admit([(policy, "k")])
    assert not refused.admitted and refused.standings[0].remaining == 0
    assert refused.standings[0].window == 1 == refused.retry_after


def test_the_limiter_holds_a_bounded_number_of_clients() -> None:
    now = [0.0]
    limiter = Gcra(clock=lambda: now[0], max_tracked=100)
    policy = Policy(name="key", quota=1, window=60)
    for n in range(10_000):
        assert limiter.admit([(policy, f"client-{n}")]).admitted
    assert len(limiter) == 100
    assert not limiter.admit([(policy, "client-9999")]).admitted  # the recent ones are still limited


async def test_limits_are_stored_per_tenant_and_reset(database: AsyncEngine) -> None:
    await create_tenant(database, "acme")
    await create_tenant(database, "globex")
    assert await limits_of(database, "acme") is None
    await set_limits(database, "acme", TenantLimits(key_per_minute=5, window_seconds=10))
    assert await limits_of(database, "acme") == TenantLimits(key_per_minute=5, window_seconds=10)
    assert await limits_of(database, "globex") is None
    await set_limits(database, "acme", TenantLimits())
    assert await limits_of(database, "acme") is None
    with pytest.raises(ValueError, match="no tenant"):
        await set_limits(database, f"nobody-{uuid.uuid4().hex[:6]}", TenantLimits(key_per_minute=1))


def test_the_openapi_document_names_the_429_of_every_limited_route() -> None:
    paths = build_document()["paths"]
    assert set(paths["/v1/inbound/webhook/{tenant}"]["post"]["responses"]["429"]["headers"]) == {
        "Retry-After",
        "RateLimit-Policy",
        "RateLimit",
    }
    assert "429" in paths["/v1/rules/validate"]["post"]["responses"]
    assert "429" not in paths["/healthz"]["get"]["responses"]
