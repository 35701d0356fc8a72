"""Retention as a tenant's setting (engine/db/retention_sweeps.py), swept by the workers
(engine/service/retention_scheduler.py): no cron job, and the keep time readable by anyone who asks.

Retention ran only from an operator's cron with the keep time as an argument: a tenant could not say
how long it keeps conversations, and nothing showed when a sweep last ran, or that it failed.
Real Temporal, real database (SQLite, or PostgreSQL with CONVOFLOW_TEST_DATABASE=postgresql).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.client import Client

from engine.db.retention_sweeps import claim, renew, retention_of, set_keep_days
from engine.service import metrics, retention_scheduler
from engine.service.config import Settings
from engine.service.database import database_of
from engine.service.retention_scheduler import LEASE, RetentionScheduler
from tests.api_client import ApiClient
from tests.cli_run import cli
from tests.conftest import build_worker, serve_api
from tests.polling import eventually
from tests.test_customer_requests import gone
from tests.test_four_eyes import keys_of
from tests.test_retention import closed, expired_now

SETTINGS_PATH = "/v1/tenant/settings"


def days_ahead(days: float):
    """A worker's clock `days` from now: what it sweeps then, without waiting days."""
    return lambda: datetime.now(UTC) + timedelta(days=days)


async def settings_shown(api: ApiClient, tenant: str = "acme") -> dict:
    reply = await api.request("GET", SETTINGS_PATH, tenant=tenant)
    assert reply.status == 200, reply.body
    return reply.body


async def test_retention_days_are_the_tenant_s_own_setting_and_every_change_is_recorded(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    acme = tenants["acme"]
    before = await settings_shown(api)
    assert before["retention_days"] is None and before["retention"]["next_sweep_at"] is None

    reply = await api.request("PUT", SETTINGS_PATH, json={"retention_days": 30})
    assert reply.status == 200, reply.body
    assert reply.body["retention_days"] == 30
    assert reply.body["retention"]["next_sweep_at"] is not None  # due at once on a change
    assert reply.body["require_approval"] is False  # left out: unchanged
    [change] = [c for c in reply.body["changes"] if c["setting"] == "retention_days"]
    assert change["value"] == 30 and change["changed_by"].startswith(f"api:{acme}/")
    # Another tenant's settings are its own.
    assert (await settings_shown(api, "globex"))["retention_days"] is None

    for wrong in (0, -1, 36_501, "30", 3.5, True, "off"):
        refused = await api.request("PUT", SETTINGS_PATH, json={"retention_days": wrong})
        assert refused.status == 422, (wrong, refused.body)
        assert "retention_days" in json.dumps(refused.body), refused.body
    keys = await keys_of(api, settings, acme, olga="ops", aude="auditor")
    assert (await keys("olga", "PUT", SETTINGS_PATH, {"retention_days": 1})).status == 403
    seen = await keys("aude", "GET", SETTINGS_PATH)
    assert seen.status == 200 and seen.body["retention_days"] == 30  # auditors read it

    off = await api.request("PUT", SETTINGS_PATH, json={"retention_days": None})
    assert off.status == 200 and off.body["retention_days"] is None, off.body
    assert off.body["retention"]["next_sweep_at"] is None
    values = [c["value"] for c in off.body["changes"] if c["setting"] == "retention_days"]
    assert values == [None, 30]  # newest first
    kept = await api.request("PUT", SETTINGS_PATH, json={"require_approval": False})
    assert kept.status == 200 and kept.body["retention_days"] is None


async def test_the_cli_sets_and_shows_retention(
    shell: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    acme = tenants["acme"]
    shown = await cli(capsys, "tenant", "set", acme, "--retention-days", "400")
    assert shown.returncode == 0, shown.stderr
    assert "retention_days   400" in shown.stdout and "next sweep" in shown.stdout
    assert "retention_days = 400  by cli:" in shown.stdout
    for wrong in ("0", "1.5", "forever"):
        refused = await cli(capsys, "tenant", "set", acme, "--retention-days", wrong)
        assert refused.returncode == 2 and "--retention-days" in refused.stderr, refused
    off = await cli(capsys, "tenant", "set", acme, "--retention-days", "off")
    assert off.returncode == 0 and "retention_days   off (kept for ever)" in off.stdout, off
    # A sweep by hand without --keep-days takes the tenant's: with none, it says so.
    bare = await cli(capsys, "retention", "sweep", "--tenant", acme)
    assert bare.returncode == 2 and "--keep-days" in bare.stderr and "for ever" in bare.stderr, bare


async def test_a_worker_deletes_what_a_tenant_keeps_no_longer_and_no_other_tenant_s(
    client: Client, shell: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    acme, globex = tenants["acme"], tenants["globex"]
    async with build_worker(client, shell), serve_api(client, shell, tenants) as api:
        await closed(api, "old-1")
        await closed(api, "theirs-1", tenant="globex")
        for tenant, conversation in ((acme, "old-1"), (globex, "theirs-1")):

            async def listed(tenant: str = tenant, conversation: str = conversation) -> bool:
                return await expired_now(client, shell, tenant) == [conversation]

            await eventually(listed, f"{conversation} listed as closed")
        assert (await api.request("PUT", SETTINGS_PATH, json={"retention_days": 1})).status == 200
        # A sweep by hand takes the tenant's retention_days: today, a day's keep time deletes nothing.
        dry = await cli(capsys, "retention", "sweep", "--tenant", acme)
        assert dry.returncode == 0 and json.loads(dry.stdout)["would_delete"] == [], dry

        database = database_of(shell)
        try:
            today = RetentionScheduler(client, database, shell)
            await today.sweep_due()  # or the worker's own did: either way, nothing is a day old
            assert (await api.get("old-1")).status == 200
            # Two days on, the worker of then deletes old-1, and not globex's conversation, which is
            # as old but whose tenant keeps conversations for ever.
            later = RetentionScheduler(client, database, shell, clock=days_ahead(2))
            assert await later.sweep_due() == [acme]
            assert await later.sweep_due() == []  # the next is an hour later, not at once
        finally:
            await database.dispose()
        shown = (await settings_shown(api))["retention"]
        last = shown["last_sweep"]
        assert last["deleted"] == 1 and last["refused"] == 0 and last["error"] is None, shown
        assert last["ended_at"] is not None and last["limit_reached"] is False
        due_again = datetime.fromisoformat(shown["next_sweep_at"]) - datetime.fromisoformat(last["began_at"])
        assert timedelta(minutes=59) < due_again < timedelta(minutes=61), shown
        erasures = await api.request("GET", "/v1/customers/erasures")
        [record] = [e for e in erasures.body["items"] if e["erasure_id"] == last["erasure_id"]]
        assert record["conversations"] == ["old-1"] and record["actor"].startswith("retention:")
        await eventually(lambda: gone(client, api.workflow_id("old-1")), "old-1 deleted", within=90)
        assert (await api.get("old-1")).status == 404
        assert (await api.get("theirs-1", tenant="globex")).status == 200


async def test_a_keep_time_lengthened_before_the_sweep_keeps_what_it_now_keeps(
    client: Client, shell: Settings, tenants: dict[str, str]
) -> None:
    acme = tenants["acme"]
    async with build_worker(client, shell), serve_api(client, shell, tenants) as api:
        await closed(api, "kept-1")

        async def listed() -> bool:
            return await expired_now(client, shell, acme) == ["kept-1"]

        await eventually(listed, "kept-1 listed as closed")
        database = database_of(shell)
        try:
            await set_keep_days(database, acme, 1, changed_by="test")
            await set_keep_days(database, acme, 3650, changed_by="test")  # the policy changed: ten years
            await RetentionScheduler(client, database, shell, clock=days_ahead(2)).sweep_due()
            last = (await retention_of(database, acme)).last_sweep
        finally:
            await database.dispose()
        assert last is not None and last.deleted == 0 and last.ended_at is not None, last
        assert (await api.get("kept-1")).status == 200


async def test_retention_turned_off_during_a_sweep_stops_it_before_anything_is_deleted(
    client: Client, shell: Settings, tenants: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An admin who turned retention off (or lengthened it) while a sweep ran saw conversations
    deleted under the old setting, and a second sweep began beside the first (helper-119)."""
    acme = tenants["acme"]
    async with build_worker(client, shell), serve_api(client, shell, tenants) as api:
        await closed(api, "mid-1")

        async def listed() -> bool:
            return await expired_now(client, shell, acme) == ["mid-1"]

        await eventually(listed, "mid-1 listed as closed")
        database = database_of(shell)
        try:
            await set_keep_days(database, acme, 1, changed_by="test")
            real_renew = retention_scheduler.renew

            async def admin_turns_it_off_first(*args: Any) -> int | None:
                await set_keep_days(database, acme, None, changed_by="admin")
                return await real_renew(*args)

            monkeypatch.setattr(retention_scheduler, "renew", admin_turns_it_off_first)
            later = RetentionScheduler(client, database, shell, clock=days_ahead(2))
            assert await later.sweep_due() == [acme]
            last = (await retention_of(database, acme)).last_sweep
        finally:
            await database.dispose()
        assert last is not None and last.deleted == 0 and "turned off" in (last.error or ""), last
        assert (await api.get("mid-1")).status == 200


async def test_a_setting_changed_while_a_sweep_runs_starts_no_second_sweep(
    client: Client, shell: Settings, tenants: dict[str, str]
) -> None:
    acme = tenants["acme"]
    database = database_of(shell)
    try:
        # Two first settings at once (two API processes): one row, no error (a 500 before).
        await asyncio.gather(*(set_keep_days(database, acme, d, changed_by="t") for d in (30, 40)))
        now = datetime.now(UTC)
        held = await claim(database, acme, now, LEASE)
        assert held is not None
        await set_keep_days(database, acme, 3650, changed_by="admin")
        assert await claim(database, acme, now + timedelta(seconds=1), LEASE) is None  # still its sweep
        assert await renew(database, held, now, LEASE) == 3650  # which reads the new keep time
    finally:
        await database.dispose()


async def test_of_two_workers_one_sweeps_a_tenant_and_a_stopped_one_s_claim_lapses(
    client: Client, shell: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Several workers (hosts) share the sweeps: the database gives each due sweep to one of them."""
    acme = tenants["acme"]
    database = database_of(shell)
    try:
        await set_keep_days(database, acme, 30, changed_by="test")
        now = datetime.now(UTC)
        claims = await asyncio.gather(*(claim(database, acme, now, LEASE) for _ in range(4)))
        assert sum(c is not None for c in claims) == 1, claims
        # Its worker stopped mid-sweep: nobody takes it before the lease ends; then one does.
        assert await claim(database, acme, now + LEASE - timedelta(seconds=1), LEASE) is None
        assert await claim(database, acme, now + LEASE, LEASE) is not None
        swept = await asyncio.gather(
            *(RetentionScheduler(client, database, shell, clock=days_ahead(1)).sweep_due() for _ in range(3))
        )
        assert sorted(t for s in swept for t in s) == [acme]
    finally:
        await database.dispose()


async def test_a_sweep_temporal_refuses_is_recorded_as_failed_and_tried_again_later(
    client: Client, shell: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    acme = tenants["acme"]
    # A namespace the server does not have: each visibility query is refused (NOT_FOUND).
    elsewhere = await Client.connect(client.service_client.config.target_host, namespace="no-such-namespace")
    failures = metrics.RETENTION_FAILURES.labels(acme)
    database = database_of(shell)
    try:
        await set_keep_days(database, acme, 30, changed_by="test")
        before = failures._value.get()
        began = datetime.now(UTC)
        assert await RetentionScheduler(elsewhere, database, shell).sweep_due() == [acme]
        retention = await retention_of(database, acme)
    finally:
        await database.dispose()
    last = retention.last_sweep
    assert last is not None and last.error is not None and "RPCError" in last.error, retention
    assert last.deleted == 0 and last.erasure_id is None
    assert retention.next_sweep_at is not None
    retry_in = datetime.fromisoformat(retention.next_sweep_at) - began
    assert timedelta(minutes=4) < retry_in < timedelta(minutes=6), retention
    assert failures._value.get() == before + 1


async def test_the_worker_sweeps_by_itself(
    client: Client, shell: Settings, tenants: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """No cron job: a tenant whose retention_days is set is swept by the running worker."""
    acme = tenants["acme"]
    quick = shell.model_copy(update={"retention_check_seconds": 0.2})
    async with build_worker(client, quick):
        database = database_of(shell)
        try:
            await set_keep_days(database, acme, 7, changed_by="test")

            async def swept() -> bool:
                last = (await retention_of(database, acme)).last_sweep
                return last is not None and last.ended_at is not None

            await eventually(swept, "the worker's sweep of the tenant")
            last = (await retention_of(database, acme)).last_sweep
        finally:
            await database.dispose()
    assert last is not None and last.error is None and last.deleted == 0, last
