"""Rule packs per tenant, end to end over the API: publishing, version history, pinning, first use,
and a worker on another "host" (own data dir, empty cache) resolving a pinned hash from the database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr
from temporalio.client import Client

from engine.api.active_packs import CACHE_SECONDS, ActivePacks
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.pack_files import load_valid
from engine.service.worker import build_worker
from tests.api_client import ApiClient
from tests.conftest import TEST_PACKS, publish
from tests.outbox_rows import OutboxRows
from tests.pack_texts import pack_text
from tests.polling import eventually
from tests.replay import replay_every_run
from tests.test_lifecycle import set_status, state
from tests.test_shadow_mode import CANDIDATE, FAILING, LIVE


def pack_yaml(name: str) -> str:
    return pack_text(TEST_PACKS / name)


async def publish_as(api: ApiClient, tenant: str, name: str) -> str:
    reply = await api.request("POST", "/v1/rules/publish", json={"pack": pack_yaml(name)}, tenant=tenant)
    assert reply.status == 201, reply.body
    return reply.body["hash"]


async def versions_of(api: ApiClient, tenant: str) -> list[dict]:
    reply = await api.request("GET", "/v1/rules/versions", tenant=tenant)
    assert reply.status == 200, reply.body
    return reply.body["versions"]


async def test_two_tenants_publish_their_own_packs_and_their_conversations_pin_them(
    api: ApiClient, tenants: dict[str, str], worker: None
) -> None:
    acme_hash = await publish_as(api, "acme", "timers")
    globex_hash = await publish_as(api, "globex", "dates")
    assert acme_hash != globex_hash
    await api.post_message("c-1", "m-1", "hello", tenant="acme")
    await api.post_message("c-1", "m-1", "hello", tenant="globex")
    assert (await api.get("c-1", tenant="acme")).body["pack_hash"] == acme_hash
    assert (await api.get("c-1", tenant="globex")).body["pack_hash"] == globex_hash
    trail = (await api.request("GET", "/v1/conversations/c-1/decisions", tenant="globex")).body["decisions"]
    assert {e["decision"]["pack_hash"] for e in trail if e["decision"]} == {globex_hash}

    [acme_version] = await versions_of(api, "acme")
    assert acme_version["hash"] == acme_hash and acme_version["active"] is True
    assert acme_version["published_by"] == f"api:{tenants['acme']}/settings-1"
    assert acme_version["published_at"] and acme_version["source"] == "POST /v1/rules/publish"
    assert [v["hash"] for v in await versions_of(api, "globex")] == [globex_hash]

    # Re-publishing content already stored re-activates it: no second version.
    await publish_as(api, "acme", "basic")
    assert await publish_as(api, "acme", "timers") == acme_hash
    assert [(v["hash"] == acme_hash, v["active"]) for v in await versions_of(api, "acme")] == [
        (True, True),
        (False, False),
    ]


async def test_a_new_thread_pins_its_own_tenants_active_pack(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    """Another tenant's publication does not leak into a thread that begins after a close."""
    basic_hash = await publish_as(api, "acme", "basic")
    await api.post_message("t-1", "m-1", "hello", tenant="acme")
    await set_status(api, "t-1", "closed")
    await publish_as(api, "globex", "timers")
    await api.post_message("t-1", "m-2", "me again", tenant="acme")
    assert (await state(api, "t-1"))["pack_hash"] == basic_hash
    timers_hash = await publish_as(api, "acme", "timers")
    await set_status(api, "t-1", "closed")
    await api.post_message("t-1", "m-3", "and again", tenant="acme")
    assert (await state(api, "t-1"))["pack_hash"] == timers_hash


async def test_a_tenant_without_a_pack_starts_from_the_shipped_one_once(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    shipped = load_valid(settings.rule_pack).content_hash
    replies = await asyncio.gather(
        *(api.post_message(f"first-{n}", "m-1", "hello", tenant="globex") for n in range(6))
    )
    assert {r.status for r in replies} == {201}
    pinned = {(await api.get(f"first-{n}", tenant="globex")).body["pack_hash"] for n in range(6)}
    assert pinned == {shipped}
    [version] = await versions_of(api, "globex")
    assert version["hash"] == shipped and version["active"] and version["published_by"] == "shipped"
    assert await versions_of(api, "acme") == []
    # The activation history begins there, once however many first conversations raced for it.
    history = (await api.request("GET", "/v1/rules/activations", tenant="globex")).body["activations"]
    assert [(a["hash"], a["via"]) for a in history] == [(shipped, "shipped")]


async def test_a_worker_on_another_host_resolves_a_pinned_hash_from_the_database(
    api: ApiClient, client: Client, settings: Settings, tmp_path: Path
) -> None:
    """The worker shares only the database (and Temporal) with the API: its data dir is empty."""
    digest = await publish_as(api, "acme", "timers")
    elsewhere = tmp_path / "other-host"
    host_two = settings.model_copy(
        update={"data_dir": elsewhere, "database_url": SecretStr(settings.database)}
    )
    async with build_worker(client, host_two):
        created = await api.post_message("far-1", "m-1", "refund please", tenant="acme")
        assert created.status == 201, created.body
        trail = (await api.request("GET", "/v1/conversations/far-1/decisions")).body["decisions"]
    assert trail and {e["decision"]["pack_hash"] for e in trail if e["decision"]} == {digest}
    assert not (elsewhere / "rule_packs").exists() and not (settings.data_dir / "rule_packs").exists()
    await replay_every_run(client, settings.task_queue)


async def test_a_tenant_cannot_change_what_another_tenants_customers_are_sent(
    api: ApiClient, outbox: OutboxRows, tenants: dict[str, str], worker: None
) -> None:
    """The reported attack: globex published a pack with a phishing acknowledgement, and acme's
    customers received it. Packs are per tenant: globex's publication reaches globex's customers only."""
    phishing = pack_yaml("basic").replace(
        'en: "Hi {customer.first_name}, we got your message (reference {conversation.id})."',
        'en: "URGENT: confirm your card at https://phish.example"',
    )
    assert "phish.example" in phishing
    published = await api.request("POST", "/v1/rules/publish", json={"pack": phishing}, tenant="globex")
    assert published.status == 201, published.body
    await api.post_message("victim-1", "m-1", "hello", tenant="acme")
    await api.post_message("own-1", "m-1", "hello", tenant="globex")

    def acknowledgements(tenant: str) -> list[str]:
        return [m["text"] for m in outbox.read_all(tenants[tenant]) if m["kind"] == "auto_reply"]

    await eventually(lambda: _both_sent(acknowledgements), "both acknowledgements sent")
    assert all("phish.example" not in text for text in acknowledgements("acme"))
    assert acknowledgements("acme") and "we got your message" in acknowledgements("acme")[0]
    assert "phish.example" in acknowledgements("globex")[0]
    assert [v["published_by"] for v in await versions_of(api, "acme")] == ["shipped"]


async def _both_sent(acknowledgements: Callable[[str], list[str]]) -> bool:
    return bool(acknowledgements("acme")) and bool(acknowledgements("globex"))


async def test_a_pack_published_elsewhere_reaches_new_conversations_within_five_seconds(
    settings: Settings, tenants: dict[str, str]
) -> None:
    """The API keeps a tenant's active hash for CACHE_SECONDS (README promises 5 s): a publish from the
    CLI or another replica shows after that, one through this process (`forget`) at once. The clock is
    the cache's own, moved by hand: waiting out real seconds would only make the test slow and flaky.
    test_lifecycle's `test_pack_published_mid_conversation_does_not_change_it` covers the API's publish."""
    assert CACHE_SECONDS == 5.0
    now, acme = [1000.0], tenants["acme"]
    database = database_of(settings)
    try:
        packs = ActivePacks(database, settings, clock=lambda: now[0])
        first = publish(settings, TEST_PACKS / "basic")
        assert await packs.hash_for(acme) == first
        second = publish(settings, TEST_PACKS / "timers")  # straight to the database, like the CLI
        now[0] += 4.9
        assert await packs.hash_for(acme) == first
        now[0] += 0.2
        assert await packs.hash_for(acme) == second
        assert publish(settings, TEST_PACKS / "basic") == first
        packs.forget(acme)
        assert await packs.hash_for(acme) == first
    finally:
        await database.dispose()


async def test_a_rollback_reruns_the_tests_its_version_was_published_with(api: ApiClient) -> None:
    """`{"pack": "<hash>"}` republished the stored content, which the hash covers and tests are not
    part of: no test ran, so a candidate whose own tests fail went live through shadow mode and its
    hash. A pack with no tests at all was published too ("0 failed"), while promotion refused it."""
    untested = await api.request("POST", "/v1/rules/publish", json={"pack": LIVE})
    assert untested.status == 422 and untested.body["error"] == "not_tested", untested.body
    assert untested.body["fields"][0]["field"] == "pack.tests"
    shadow = await api.request("POST", "/v1/rules/shadow", json={"pack": CANDIDATE + FAILING})
    assert shadow.status == 201, shadow.body
    digest = shadow.body["hash"]
    back = await api.request("POST", "/v1/rules/publish", json={"pack": digest[:9]})
    assert back.status == 409 and back.body["error"] == "tests_failed", back.body
    assert back.body["fields"] == [{"field": "pack.tests", "message": "an invoice still goes to billing"}]
    live = await api.request("POST", "/v1/rules/publish", json={"pack": LIVE + FAILING})
    assert live.status == 201, live.body
    again = await api.request("POST", "/v1/rules/publish", json={"pack": live.body["hash"][:9]})
    assert again.status == 201 and again.body["hash"] == live.body["hash"], again.body
