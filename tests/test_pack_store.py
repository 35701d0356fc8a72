"""Published packs in the control-plane database, on SQLite and on a real PostgreSQL: per tenant,
content-addressed, one stored row per tenant and content, concurrent first use settled by the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.rule_decisions import PackRegistry, RuleActivities
from engine.db.packs import AlteredPack, PackStore, UnknownPack
from engine.db.schema import rule_packs
from engine.rules.casetest import run_cases
from engine.rules.decision import CompiledPack
from engine.rules.pack import RulePack
from engine.service.pack_files import load_valid

PACKS = Path(__file__).resolve().parent / "packs"


@pytest.fixture
def basic() -> RulePack:
    return load_valid(PACKS / "basic")


@pytest.fixture
def timers() -> RulePack:
    return load_valid(PACKS / "timers")


async def stored_rows(database: AsyncEngine) -> int:
    async with database.connect() as db:
        return (await db.execute(select(func.count()).select_from(rule_packs))).scalar_one()


async def test_the_same_content_published_twice_is_one_stored_pack_and_a_new_activation(
    database: AsyncEngine, basic: RulePack, timers: RulePack
) -> None:
    store = PackStore(database)
    first = await store.publish("acme", basic, published_by="cli:ada", source="rule_packs/basic")
    await store.publish("acme", timers, published_by="cli:ada", source="rule_packs/timers")
    again = await store.publish("acme", basic, published_by="api:acme", source="POST /v1/rules/publish")
    assert first == again == basic.content_hash
    assert await stored_rows(database) == 2
    assert await store.active_hash("acme") == basic.content_hash
    versions = await store.versions("acme")
    assert [(v.hash, v.active) for v in versions] == [
        (basic.content_hash, True),
        (timers.content_hash, False),
    ]
    assert versions[0].published_by == "cli:ada" and versions[0].source == "rule_packs/basic"
    assert versions[0].published_at.endswith("+00:00")


async def test_tenants_have_their_own_versions_and_active_pack_and_share_content_by_hash(
    database: AsyncEngine, basic: RulePack, timers: RulePack
) -> None:
    store = PackStore(database)
    await store.publish("acme", basic, published_by="api:acme", source=None)
    await store.publish("globex", timers, published_by="api:globex", source=None)
    assert await store.active_hash("acme") == basic.content_hash
    assert await store.active_hash("globex") == timers.content_hash
    assert await store.active_hash("initech") is None
    assert [v.hash for v in await store.versions("acme")] == [basic.content_hash]
    assert [v.published_by for v in await store.versions("globex")] == ["api:globex"]
    # Content-addressed: any host resolves a pinned hash whichever tenant published it.
    assert (await store.get(timers.content_hash)).content_hash == timers.content_hash
    with pytest.raises(UnknownPack):
        await store.get("0" * 64)


async def test_a_stored_pack_whose_content_was_altered_is_refused(
    database: AsyncEngine, basic: RulePack
) -> None:
    store = PackStore(database)
    digest = await store.publish("acme", basic, published_by=None, source=None)
    altered = basic.model_copy(update={"rules": basic.rules[:-1]})
    async with database.begin() as db:
        await db.execute(
            update(rule_packs).values(content=altered.model_dump_json(by_alias=True, exclude={"tests"}))
        )
    with pytest.raises(AlteredPack):
        await store.get(digest)


async def test_a_tenant_without_a_pack_gets_the_shipped_one_once_under_concurrency(
    database: AsyncEngine, basic: RulePack, timers: RulePack
) -> None:
    store = PackStore(database)
    hashes = await asyncio.gather(*(store.ensure_active("acme", basic, source="shipped") for _ in range(8)))
    assert set(hashes) == {basic.content_hash}
    assert [v.published_by for v in await store.versions("acme")] == ["shipped"]
    # A tenant's own publication is never replaced by the shipped pack.
    await store.publish("globex", timers, published_by="api:globex", source=None)
    assert await store.ensure_active("globex", basic, source="shipped") == timers.content_hash


async def test_an_empty_worker_cache_resolves_a_pinned_hash_from_the_database_once(
    database: AsyncEngine, basic: RulePack
) -> None:
    """A worker on another host: nothing cached, no files; concurrent first uses share one fetch."""
    digest = await PackStore(database).publish("acme", basic, published_by=None, source=None)

    class CountingStore(PackStore):
        fetched = 0

        async def get(self, digest: str) -> RulePack:
            CountingStore.fetched += 1
            return await super().get(digest)

    rules = RuleActivities(PackRegistry(CountingStore(database)))
    packs = await asyncio.gather(*(rules.load_rule_pack(digest) for _ in range(5)))
    assert all(p == basic.canonical() for p in packs)
    assert CountingStore.fetched == 1
    assert await rules.active_rule_pack("acme") == digest
    assert await rules.active_rule_pack("globex") is None


async def test_a_failed_fetch_is_not_cached(database: AsyncEngine, basic: RulePack) -> None:
    """Asked for a hash before it is readable (another replica's publish in flight), a retry finds it."""
    rules = RuleActivities(PackRegistry(PackStore(database)))
    with pytest.raises(UnknownPack):
        await rules.load_rule_pack(basic.content_hash)
    await PackStore(database).publish("acme", basic, published_by=None, source=None)
    assert await rules.load_rule_pack(basic.content_hash) == basic.canonical()


async def test_a_version_s_tests_come_back_as_written_and_stored_whole_ones_as_they_were_meant(
    database: AsyncEngine, basic: RulePack
) -> None:
    """`route: null` (not routed) stored beside a version came back as a case that tests nothing: the
    tests were stored whole, an unset expectation null. A whole one stored before keeps its meaning
    (its nulls were "not looked at"), so the version's own cases still pass on a rollback."""
    cases = [
        {
            "name": "an invoice is routed",
            "event": "conversation.created",
            "context": {"message": {"text": "my invoice is wrong"}},
            "expect": {"route": "billing"},
        },
        {
            "name": "an invoice is not routed",
            "event": "conversation.created",
            "context": {"message": {"text": "my invoice is wrong"}},
            "expect": {"route": None},
        },
    ]
    written = RulePack.model_validate({**basic.canonical(), "tests": cases})
    store = PackStore(database)
    await store.publish("acme", written, published_by="cli:ada", source="rule_packs/basic")
    back = await store.version(basic.content_hash, "acme")
    results = run_cases(CompiledPack(back), back.tests)
    assert [(r.name, r.passed) for r in results] == [
        ("an invoice is routed", True),
        ("an invoice is not routed", False),
    ]
    assert results[1].failures == ["route: expected no route, got billing"]

    whole = basic.model_dump(mode="json", include={"tests"})["tests"]  # every field, unset ones null
    assert whole[1]["expect"]["tags"] is None and whole[1]["expect"]["route"] == "general"
    async with database.begin() as db:
        await db.execute(update(rule_packs).where(rule_packs.c.tenant == "acme").values(tests=whole))
    back = await store.version(basic.content_hash, "acme")
    assert [r.name for r in run_cases(CompiledPack(back), back.tests) if not r.passed] == []
    assert len(back.tests) == len(basic.tests) > 1
    # One whose author set every expectation a null would be refused for (its route, intent and
    # language left null: "not looked at" then), stored whole before `followed_by` existed.
    kinds = [{"type": kind} for kind in ("reply", "add_tags", "route", "set_priority")]
    whole[0]["expect"] |= {"actions": kinds, "route": None}
    whole[0]["expect"].pop("followed_by", None)
    assert all(
        whole[0]["expect"][k] is not None for k in ("matched", "not_matched", "actions", "tags", "priority")
    )
    async with database.begin() as db:
        await db.execute(update(rule_packs).where(rule_packs.c.tenant == "acme").values(tests=whole))
    back = await store.version(basic.content_hash, "acme")
    assert [r.failures for r in run_cases(CompiledPack(back), back.tests) if not r.passed] == []
