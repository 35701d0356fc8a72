"""KPIs of conversations driven through the API, and the projection rebuilt from history (issue 18).

Customer messages carry `received_at` instants the test chooses (minutes ago, or last week in office
hours), so the figures below are worked out by hand from those and from the instants the API reports;
tests/test_kpi_computation.py checks every KPI on a fully fixed clock.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from temporalio.client import Client

from engine.contracts.kpi import KpiFact
from engine.db.kpi_facts import KpiFactStore, StoredFact
from engine.kpis.query import parse_query
from engine.service import audit_bundle, kpis
from engine.service.audit_key import audit_key_of
from engine.service.config import Settings
from engine.service.database import database_of
from tests.api_client import ApiClient
from tests.cli_run import cli
from tests.conftest import TEST_PACKS, publish
from tests.payload_keys import TEST_PAYLOAD_KEYS
from tests.polling import eventually
from tests.test_lifecycle import set_status, state

AUDIT_KEY = "test-audit-key-0123456789abcdef"


async def say(api: ApiClient, conversation: str, text: str, received_at: datetime | None = None) -> None:
    body: dict[str, Any] = {
        "message_id": f"m-{uuid.uuid4().hex[:8]}",
        "channel": "email",
        "sender": {"address": "ada@example.com"},
        "text": text,
    }
    if received_at is not None:
        body["received_at"] = received_at.isoformat()
    reply = await api.request("POST", f"/v1/conversations/{conversation}/messages?wait=decided", json=body)
    assert reply.status in (200, 201), reply.body


async def answer(api: ApiClient, conversation: str, agent: str = "agent-1") -> None:
    reply = await api.request(
        "POST",
        f"/v1/conversations/{conversation}/replies",
        json={"agent_id": agent, "text": "On it", "message_id": f"r-{uuid.uuid4().hex[:8]}"},
    )
    assert reply.status == 200, reply.body


async def kpi(api: ApiClient, query: str = "", tenant: str = "acme") -> dict[str, Any]:
    reply = await api.request("GET", f"/v1/kpis{query}", tenant=tenant)
    assert reply.status == 200, reply.body
    return reply.body


def rows(facts: list[KpiFact] | list[StoredFact]) -> list[str]:
    """Facts as comparable JSON lines (instants compare as UTC text, whatever their tzinfo object)."""
    models = [f if isinstance(f, KpiFact) else f.model() for f in facts]
    return sorted(json.dumps(f.model_dump(mode="json"), sort_keys=True) for f in models)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def drive_lifecycle(api: ApiClient) -> datetime:
    """Breached first response, a pause, solved, surveyed (5), reopened by the customer, solved again."""
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    await say(api, "k-1", "My invoice is wrong", received)

    async def breached() -> bool:
        return (await state(api, "k-1"))["sla"]["targets"]["first_response"]["breached_at"] is not None

    await eventually(breached, "the first response breached")
    await answer(api, "k-1")
    await set_status(api, "k-1", "pending")
    await say(api, "k-1", "Any news?")  # wakes it: open again
    await answer(api, "k-1")
    await set_status(api, "k-1", "solved")

    async def surveyed() -> bool:
        return (await state(api, "k-1"))["survey"]["status"] == "sent"

    await eventually(surveyed, "the survey sent")
    rated = await api.request("POST", "/v1/conversations/k-1/survey", json={"rating": 5})
    assert rated.status == 200, rated.body
    await say(api, "k-1", "It is wrong again")  # reopens the solved conversation
    await answer(api, "k-1")
    await set_status(api, "k-1", "solved")
    await eventually(surveyed, "the second survey sent")
    return received


def office_seconds(start: datetime, end: datetime) -> float:
    """Business seconds Monday to Friday 09:00-17:00 UTC, counted day by day (the test's own arithmetic)."""
    total = 0.0
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        if day.weekday() < 5:
            opens, closes = day + timedelta(hours=9), day + timedelta(hours=17)
            total += max(0.0, (min(closes, end) - max(opens, start)).total_seconds())
        day += timedelta(days=1)
    return total


async def test_kpis_of_a_conversation_driven_through_the_api(
    api: ApiClient, settings: Settings, worker: None
) -> None:
    publish(settings, TEST_PACKS / "kpi")
    received = await drive_lifecycle(api)
    conversation = await state(api, "k-1")
    first_reply = at(conversation["first_agent_reply_at"])

    # last week, Saturday 10:00: the office calendar opens on Monday 09:00
    today = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
    await say(api, "k-2", "office: where is my parcel", saturday)
    await answer(api, "k-2", agent="agent-2")
    office_reply = at((await state(api, "k-2"))["first_agent_reply_at"])

    report = await kpi(api, f"?from={(saturday - timedelta(days=1)).date()}")
    (row,) = report["rows"]
    m = row["metrics"]
    assert m["volume"] == {"value": 2, "conversations": ["k-1", "k-2"]}
    first = {
        "k-1": (first_reply - received).total_seconds(),  # 24/7: business time is calendar time
        "k-2": (office_reply - saturday).total_seconds(),
    }
    business = {"k-1": first["k-1"], "k-2": office_seconds(saturday, office_reply)}
    assert m["first_response_time"]["count"] == 2
    assert m["first_response_time"]["mean_seconds"] == pytest.approx(sum(first.values()) / 2, abs=0.001)
    assert m["first_response_time"]["business_mean_seconds"] == pytest.approx(
        sum(business.values()) / 2, abs=0.001
    )
    assert (m["sla_first_response"]["value"], m["sla_first_response"]["matching"]) == (0.5, ["k-2"])
    assert m["sla_resolution"]["matching"] == ["k-1"] and m["sla_next_response"]["value"] == 1.0
    assert m["reopens"] == {"value": 1, "conversations": ["k-1"]}
    assert m["next_reply_time"]["count"] == 2 and m["next_reply_time"]["conversations"] == ["k-1"]
    assert m["one_touch_resolution_rate"]["value"] == 0.0
    assert (m["csat"]["value"], m["survey_response_rate"]["value"]) == (1.0, 1.0)
    assert (m["backlog"]["value"], m["backlog"]["conversations"]) == (1, ["k-2"])

    by_agent = await kpi(api, f"?from={(saturday - timedelta(days=1)).date()}&group_by=agent,team")
    groups = {(r["group"]["agent"], r["group"]["team"]) for r in by_agent["rows"]}
    assert groups == {("agent-1", "billing"), ("agent-2", "billing")}
    # another tenant sees none of it
    assert (await kpi(api, tenant="globex"))["rows"] == []


@pytest.mark.parametrize("offset_hours", [-5, 5.5])
async def test_a_message_received_in_another_zone_counts_its_own_instant(
    api: ApiClient, settings: Settings, worker: None, offset_hours: float
) -> None:
    """A channel's `received_at` with a UTC offset: SQLite kept its wall time and read it back as UTC,
    so a 5-minute first response read 5 h 05 min (-05:00), or minus 5 h (+05:30)."""
    publish(settings, TEST_PACKS / "kpi")
    zone = timezone(timedelta(hours=offset_hours))
    received = (datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)).astimezone(zone)
    await say(api, "k-zone", "My invoice is wrong", received)
    await answer(api, "k-zone")
    replied = at((await state(api, "k-zone"))["first_agent_reply_at"])
    m = (await kpi(api, "?channel=email"))["rows"][0]["metrics"]
    assert m["first_response_time"]["mean_seconds"] == pytest.approx(
        (replied - received).total_seconds(), abs=0.001
    )


async def test_the_rebuild_equals_the_live_projection(
    api: ApiClient,
    settings: Settings,
    cli_settings: Settings,
    client: Client,
    tenants: dict[str, str],
    worker: None,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    publish(settings, TEST_PACKS / "kpi")
    await drive_lifecycle(api)
    await say(api, "k-3", "hello")
    await set_status(api, "k-3", "closed")
    await say(api, "k-3", "one more thing")  # thread 2
    tenant = tenants["acme"]
    database = database_of(settings)
    store = KpiFactStore(database)
    try:

        async def settled() -> bool:
            """Both surveys of k-1 sent, and k-3's second thread past its 1.8 s first response: the
            last facts these conversations will have (a survey's fact lands just after the state
            says "sent")."""
            facts = await store.facts(tenant)
            surveys = sum(f.kind == "survey_sent" for f in facts)
            return surveys == 2 and any(f.kind == "sla_breached" and f.thread == 2 for f in facts)

        await eventually(settled, "the conversations' last facts in the projection")
        live = await store.facts(tenant)
        assert {f.kind for f in live} >= {"auto_reply", "sla_applied", "reopened", "sla_breached"}
        assert {f.thread for f in live if f.conversation_id == "k-3"} == {1, 2}
        assert "text" not in str([f.data for f in live])  # facts carry no message text

        from_temporal = [f for r in await kpis.rebuilt_from_temporal(client, tenant) for f in r.facts]
        assert rows(from_temporal) == rows(live)

        keyed = settings.model_copy(update={"audit_key": SecretStr(AUDIT_KEY)})
        bundles = tmp_path / "bundles"
        for conversation in ("k-1", "k-3"):
            bundle = await audit_bundle.export(client, database, tenant, conversation, audit_key_of(keyed))
            audit_bundle.write_bundle(bundles / f"{conversation}.zip", bundle)
        monkeypatch.setenv("TEMPORAL_ADDRESS", settings.temporal_address or "")
        monkeypatch.setenv("CONVOFLOW_TASK_QUEUE", settings.task_queue)
        monkeypatch.setenv("CONVOFLOW_PAYLOAD_KEYS", TEST_PAYLOAD_KEYS)
        monkeypatch.setenv("CONVOFLOW_AUDIT_KEY", AUDIT_KEY)
        run = await cli(capsys, "kpi", "rebuild", "--from-bundles", str(bundles))
        assert run.returncode == 0, run.stderr
        assert run.stdout.startswith("2 conversations, ")
        assert rows(await store.facts(tenant)) == rows(live)
        # Another tenant's rebuild leaves acme's bundles out, and says so (it said nothing).
        globex = tenants["globex"]
        other = await cli(capsys, "kpi", "rebuild", "--tenant", globex, "--from-bundles", str(bundles))
        assert other.returncode == 0 and other.stdout.startswith("0 conversations, "), other.stderr
        assert other.stderr.count(f"skipped, a conversation of tenant {tenant}") == 2, other.stderr

        run = await cli(capsys, "kpi", "rebuild", "--tenant", tenant, "--from-temporal")
        assert run.returncode == 0, run.stderr
        assert rows(await store.facts(tenant)) == rows(live)

        report = await cli(capsys, "kpi", "report", "--tenant", tenant, "--format", "csv")
        assert report.returncode == 0, report.stderr
        assert "volume,3,,,,,,,,k-1 k-3," in report.stdout
        # A tenant the database lacks (a typo, or another data directory's database) is an error,
        # not the empty report of a quiet week.
        typo = await cli(capsys, "kpi", "report", "--tenant", tenant + "x")
        assert typo.returncode == 2 and typo.stdout == ""
        assert f"no tenant '{tenant}x'" in typo.stderr and "not the service's database" in typo.stderr
    finally:
        await database.dispose()


async def test_a_rebuild_takes_only_bundles_that_verify_and_keeps_facts_newer_than_its_bundle(
    api: ApiClient,
    settings: Settings,
    cli_settings: Settings,
    client: Client,
    tenants: dict[str, str],
    worker: None,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An auditor's rebuild wrote what any bundle said: a record edited after export (the bundle
    `audit verify` refuses) became KPIs, a manifest naming another tenant put that conversation in
    this tenant's figures, and a bundle exported before the conversation's latest events erased
    them from the KPIs, all without a word."""
    tenant = tenants["acme"]
    await say(api, "k-b", "Where is my parcel?")
    database = database_of(settings)
    store = KpiFactStore(database)
    try:

        async def stored() -> list[str]:
            return rows([f for f in await store.facts(tenant) if f.conversation_id == "k-b"])

        async def counted() -> bool:
            return any("auto_reply" in row for row in await stored())

        await eventually(counted, "the first message's facts")
        keyed = settings.model_copy(update={"audit_key": SecretStr(AUDIT_KEY)})
        bundle = await audit_bundle.export(client, database, tenant, "k-b", audit_key_of(keyed))
        for env, value in (
            ("TEMPORAL_ADDRESS", settings.temporal_address or ""),
            ("CONVOFLOW_TASK_QUEUE", settings.task_queue),
            ("CONVOFLOW_PAYLOAD_KEYS", TEST_PAYLOAD_KEYS),
            ("CONVOFLOW_AUDIT_KEY", AUDIT_KEY),
        ):
            monkeypatch.setenv(env, value)
        before = await stored()

        edited = json.loads(json.dumps(bundle))
        edited["files"]["decisions.json"][0]["event"] = "message.received"
        elsewhere = json.loads(json.dumps(bundle))
        elsewhere["manifest"]["tenant"] = "globex"
        for name, changed in (("edited", edited), ("elsewhere", elsewhere)):
            audit_bundle.write_bundle(tmp_path / name / "k-b.json", changed)
            run = await cli(capsys, "kpi", "rebuild", "--from-bundles", str(tmp_path / name))
            assert run.returncode == 2, (name, run.stdout)
            assert "does not verify" in run.stderr and "k-b.json" in run.stderr
            assert await stored() == before
        assert await store.facts("globex") == []

        await say(api, "k-b", "Any news?")  # after the export: the bundle is older than the facts

        async def grew() -> bool:
            return len(await stored()) > len(before)

        await eventually(grew, "the second message's facts")
        newer = await stored()
        audit_bundle.write_bundle(tmp_path / "older" / "k-b.json", bundle)
        run = await cli(capsys, "kpi", "rebuild", "--from-bundles", str(tmp_path / "older"))
        assert run.returncode == 0, run.stderr
        assert f"kept the stored facts of {tenant}/k-b" in run.stderr
        assert run.stdout.startswith("0 conversations, 0 facts (1 kept as stored)")
        assert await stored() == newer
    finally:
        await database.dispose()


async def test_bad_parameters_and_csv(api: ApiClient, settings: Settings) -> None:
    for query, parameter in (
        ("?from=yesterday", "from"),
        ("?group_by=planet", "group_by"),
        ("?interval=hour", "interval"),
        ("?format=xml", "format"),
        ("?color=red", "color"),
        ("?channel=fax", "channel"),  # answered 200 with no rows, as if fax had no traffic
        ("?priority=mega", "priority"),
        ("?team=" + "t" * 65, "team"),
        ("?agent=a%20b", "agent"),
        ("?tz=Mars/Olympus_Mons", "tz"),
        ("?tz=../../etc/passwd", "tz"),
        ("?from=2026-12-01&from=2026-12-02", "from"),  # the first was taken, the other ignored
    ):
        reply = await api.request("GET", f"/v1/kpis{query}")
        assert reply.status == 422, (query, reply.body)
        assert reply.body["fields"][0]["field"] == parameter
    async with api.session.get(
        api.base_url + "/v1/kpis",
        headers={"Authorization": "Bearer key-" + api.tenants["acme"], "Accept": "text/csv"},
    ) as resp:
        assert resp.status == 200 and resp.content_type == "text/csv"
        assert (await resp.text()).startswith("from,to,team,channel,agent,priority,metric")
    local = await api.request(
        "GET", "/v1/kpis?from=2026-11-30&to=2026-12-02&interval=day&tz=America/New_York"
    )
    assert local.status == 200, local.body
    assert local.body["from"] == "2026-11-30T00:00:00-05:00"  # the date is New York's midnight
    assert [(r["from"], r["to"]) for r in local.body["rows"]] == [
        ("2026-11-30T00:00:00-05:00", "2026-12-01T00:00:00-05:00"),
        ("2026-12-01T00:00:00-05:00", "2026-12-02T00:00:00-05:00"),
    ]


def test_a_team_filter_takes_any_name_a_pack_may_give_a_team() -> None:
    # A pack may name a team "Tier 2"; the filter took only ids, so such a team could be grouped on
    # and never filtered on (the console's own team filter answered 422).
    now = datetime(2026, 12, 2, tzinfo=UTC)
    for team in ("Tier 2", "Kundenservice Süd", "<b>Bill, ing</b>"):
        query = parse_query(
            start=None, end=None, group_by=None, interval=None, now=now, filters={"team": team}
        )
        assert query.filters == (("team", team),)


async def test_a_rebuild_may_drop_a_fact_for_an_event_its_bundle_reached(settings: Settings) -> None:
    """A mended `facts_of` that no longer makes a fact for a conversation's last event: the rebuild
    counted the bundle older than the stored facts (it compared facts, not how far the trail went)
    and kept the fact it was run to drop."""
    from engine.contracts.kpi import KpiFact

    stored = [
        KpiFact(
            tenant="acme",
            conversation_id="k-m",
            life_id="L",
            thread=1,
            seq=seq,
            part=0,
            kind="created",
            at=datetime(2026, 12, 1, 10, tzinfo=UTC),
        )
        for seq in (1, 2, 3)
    ]
    database = database_of(settings)
    try:
        await KpiFactStore(database).add(stored)
        mended = kpis.Rebuilt("acme", "k-m", stored[:2], reached={"L": 3})
        assert await kpis.older_than_stored(database, [mended]) == []
        exported_early = kpis.Rebuilt("acme", "k-m", stored[:2], reached={"L": 2})
        assert await kpis.older_than_stored(database, [exported_early]) == [exported_early]
    finally:
        await database.dispose()
