"""Shadow mode (issue 21): a candidate pack decided beside the live one, never executed; its report;
promotion only when its tests pass. Real Temporal, real database (SQLite, or PostgreSQL).

acme runs a shadow pack and globex does not; both have the same live pack and get the same
messages, so globex is what acme's conversations do without shadow mode.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from engine.db.connection import open_engine
from engine.db.packs import canonical_text
from engine.db.schema import rule_packs
from engine.service.config import Settings
from engine.service.metrics import REGISTRY
from engine.service.pack_files import load_valid
from tests.api_client import ApiClient
from tests.cli_run import cli
from tests.conftest import TEST_PACKS, publish
from tests.outbox_rows import OutboxRows
from tests.polling import eventually

LIVE = (TEST_PACKS / "basic" / "pack.yaml").read_text()
BILLING_THEN = "then: [{add_tags: [billing]}, {route: billing}, {set_priority: high}]"
BILLING_IF = 'if: {"contains_any": [{"var": "message.text"}, ["invoice", "refund"]]}'
# The candidate sends billing questions to general, without raising their priority.
CANDIDATE = LIVE.replace(BILLING_THEN, "then: [{add_tags: [billing]}, {route: general}]")
PASSING = """
tests:
  - name: an invoice goes to general
    event: conversation.created
    context: {message: {text: "my invoice is wrong"}}
    expect: {route: general}
"""
FAILING = """
tests:
  - name: an invoice still goes to billing
    event: conversation.created
    context: {message: {text: "my invoice is wrong"}}
    expect: {route: billing}
"""
TIME = re.compile(r"\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)?")
RUN_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def normalized(value: Any, tenant: str) -> str:
    """JSON with instants, run ids and the tenant's name blanked: what two tenants' runs differ in."""
    text = RUN_ID.sub("<run>", TIME.sub("<time>", json.dumps(value, sort_keys=True)))
    return text.replace(tenant, "<tenant>")


async def shadow_report(api: ApiClient, tenant: str = "acme", query: str = "") -> dict[str, Any]:
    reply = await api.request("GET", f"/v1/rules/shadow/report{query}", tenant=tenant)
    assert reply.status == 200, reply.body
    await api.assert_described(reply, "GET", "/v1/rules/shadow/report")
    return reply.body


async def drive(api: ApiClient, tenant: str) -> None:
    for conversation, text in (("s-1", "Hello, my invoice is wrong"), ("s-2", "Do you ship to Canada?")):
        posted = await api.post_message(conversation, f"{conversation}-m1", text, tenant=tenant)
        assert posted.status == 201, posted.body
    again = await api.post_message("s-1", "s-1-m2", "Any news?", tenant=tenant)
    assert again.status in (200, 201), again.body


async def settled(api: ApiClient, tenant: str) -> dict[str, Any]:
    """Both conversations' state and trail once every message is decided on."""
    views: dict[str, Any] = {}

    async def done() -> bool:
        for conversation in ("s-1", "s-2"):
            view = await api.get(conversation, tenant=tenant)
            trail = await api.request("GET", f"/v1/conversations/{conversation}/decisions", tenant=tenant)
            views[conversation] = {"state": view.body, "trail": trail.body}
        return views["s-1"]["state"]["customer_messages"] == 2 and views["s-2"]["state"]["team"] is not None

    await eventually(done, f"{tenant}'s conversations decided")
    return views


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_shadow_pack_is_compared_on_live_traffic_and_changes_nothing(
    api: ApiClient, settings: Settings, outbox: OutboxRows, tenants: dict[str, str], worker: None
) -> None:
    live = publish(settings, TEST_PACKS / "basic")
    shadow = await api.request("POST", "/v1/rules/shadow", json={"pack": CANDIDATE + PASSING})
    assert shadow.status == 201, shadow.body
    candidate = shadow.body["hash"]
    assert candidate != live and shadow.body["active"] is False
    await api.assert_described(shadow, "POST", "/v1/rules/shadow")
    shown = await api.request("GET", "/v1/rules/shadow")
    assert shown.body["shadow"]["hash"] == candidate and shown.body["shadow"]["tests"] == 1
    await api.assert_described(shown, "GET", "/v1/rules/shadow")
    assert (await api.request("GET", "/v1/rules/shadow", tenant="globex")).body == {"shadow": None}

    for tenant in ("acme", "globex"):
        await drive(api, tenant)
    acme, globex = await settled(api, "acme"), await settled(api, "globex")

    # (a) The live conversations are exactly what they are without shadow mode: same actions, same
    # team and priority, same trail (decided by the live pack only), same messages sent.
    assert acme["s-1"]["state"]["team"] == "billing" and acme["s-1"]["state"]["priority"] == "high"
    for conversation in ("s-1", "s-2"):
        for part in ("state", "trail"):
            assert normalized(acme[conversation][part], tenants["acme"]) == normalized(
                globex[conversation][part], tenants["globex"]
            ), f"{conversation} {part}"
        trail = acme[conversation]["trail"]["decisions"]
        assert {e["decision"]["pack_hash"] for e in trail if e["decision"]} == {live}
    sent = {t: outbox.read_all(tenants[t]) for t in ("acme", "globex")}
    assert len(sent["acme"]) == 2
    assert normalized(sent["acme"], tenants["acme"]) == normalized(sent["globex"], tenants["globex"])

    # (b) The difference is recorded per rule and event, with the conversation as the example.
    decided = sum(1 for c in acme.values() for e in c["trail"]["decisions"] if e["decision"])

    async def compared() -> bool:
        return (await shadow_report(api))["total"]["compared"] == decided

    await eventually(compared, f"acme's {decided} decisions compared")
    report = await shadow_report(api)
    assert report["shadow_hash"] == candidate
    assert report["total"] == {
        "compared": decided,
        "differ": 1,
        "rate": round(1 / decided, 4),
        "examples": ["s-1"],
    }
    # Compared with each conversation's pinned pack: here all pinned `live`, and the report says so.
    assert [(p["live_hash"], p["compared"], p["differ"]) for p in report["by_live_pack"]] == [
        (live, decided, 1)
    ]
    events = {row["event"]: row for row in report["by_event"]}
    assert events["conversation.created"] == {
        "event": "conversation.created",
        "compared": 2,
        "differ": 1,
        "rate": 0.5,
        "examples": ["s-1"],
    }
    assert events["message.received"]["compared"] == 3 and events["message.received"]["differ"] == 0
    rules = {row["rule"]: row for row in report["by_rule"]}
    assert report["by_rule"][0]["rule"] == "billing"  # the rule that differs comes first
    assert rules["billing"] == {
        "rule": "billing",
        "compared": 1,
        "differ": 1,
        "rate": 1.0,
        "examples": ["s-1"],
        "errors": 0,
    }
    assert rules["acknowledge"]["compared"] == 2 and rules["acknowledge"]["differ"] == 0
    assert rules["general"]["differ"] == 0
    assert counter("convoflow_shadow_comparisons_total", tenant=tenants["acme"], differs="true") == 1

    # (e) Tenants apart: globex has no comparisons, reads none of acme's, and cannot stop acme's shadow.
    assert (await shadow_report(api, "globex"))["total"]["compared"] == 0
    assert (await shadow_report(api, "globex", f"?hash={candidate}"))["total"]["compared"] == 0
    assert (await api.request("DELETE", "/v1/rules/shadow", tenant="globex")).body == {"stopped": False}
    assert (await api.request("GET", "/v1/rules/shadow")).body["shadow"]["hash"] == candidate
    stopped = await api.request("DELETE", "/v1/rules/shadow")
    assert stopped.body == {"stopped": True}
    await api.assert_described(stopped, "DELETE", "/v1/rules/shadow")
    assert (await api.request("GET", "/v1/rules/shadow")).body == {"shadow": None}
    bad = await api.request("GET", "/v1/rules/shadow/report?from=yesterday&x=1")
    assert bad.status == 422 and bad.body["fields"][0]["field"] in ("x", "from")


async def test_a_failing_shadow_pack_breaks_nothing_and_is_counted(
    api: ApiClient, settings: Settings, tenants: dict[str, str], worker: None
) -> None:
    """acme's candidate has a condition that fails on every context (text compared to a number);
    globex's candidate is unreadable (its stored content was altered): both only counted."""
    publish(settings, TEST_PACKS / "basic")
    failing = CANDIDATE.replace(BILLING_IF, 'if: {"==": [{"var": "message.text"}, 5]}')
    assert (await api.request("POST", "/v1/rules/shadow", json={"pack": failing})).status == 201
    altered = await api.request("POST", "/v1/rules/shadow", json={"pack": CANDIDATE}, tenant="globex")
    assert altered.status == 201
    engine = open_engine(settings.database)
    try:
        async with engine.begin() as db:
            other = canonical_text(load_valid(TEST_PACKS / "basic"))  # valid, but not what the hash says
            await db.execute(
                update(rule_packs).where(rule_packs.c.pack_hash == altered.body["hash"]).values(content=other)
            )
    finally:
        await engine.dispose()

    for tenant in ("acme", "globex"):
        await drive(api, tenant)
        views = await settled(api, tenant)
        assert views["s-1"]["state"]["team"] == "billing" and views["s-1"]["state"]["tags"] == ["billing"]
        assert views["s-2"]["state"]["team"] == "general"

    async def counted() -> bool:
        failures = counter("convoflow_shadow_failures_total", tenant=tenants["globex"], error="AlteredPack")
        return failures >= 3 and (await shadow_report(api))["total"]["compared"] >= 3  # 3 or more events

    await eventually(counted, "globex's unreadable candidate counted, acme's decisions compared")
    rules = {row["rule"]: row for row in (await shadow_report(api))["by_rule"]}
    # The failing condition counts as not matched (as it would live): billing differs where it matched.
    assert rules["billing"]["errors"] == 2 and rules["billing"]["differ"] == 1
    assert counter("convoflow_shadow_rule_errors_total", tenant=tenants["acme"]) >= 2
    assert (await shadow_report(api, "globex"))["total"]["compared"] == 0


async def test_promotion_needs_passing_tests_and_goes_through_activation(
    api: ApiClient, settings: Settings, tenants: dict[str, str]
) -> None:
    live = publish(settings, TEST_PACKS / "basic")
    none = await api.request("POST", "/v1/rules/shadow/promote")
    assert none.status == 404 and none.body["error"] == "no_shadow_pack"
    never = CANDIDATE.replace(
        BILLING_IF,
        'if: {"and": [{"==": [{"var": "conversation.channel"}, "email"]}, '
        '{"==": [{"var": "conversation.channel"}, "chat"]}]}',
    )
    refused = await api.request("POST", "/v1/rules/shadow", json={"pack": never})
    assert refused.status == 422 and refused.body["error"] == "check_failed"
    assert refused.body["fields"][0]["message"].startswith("never-matches")

    shadow = await api.request("POST", "/v1/rules/shadow", json={"pack": CANDIDATE + FAILING})
    assert shadow.status == 201, shadow.body
    failed = await api.request("POST", "/v1/rules/shadow/promote")
    assert failed.status == 422 and failed.body["error"] == "not_promotable"
    assert failed.body["fields"] == [
        {
            "field": "pack.tests",
            "message": "test case 'an invoice still goes to billing' fails: "
            + failed.body["fields"][0]["message"].split(" fails: ", 1)[1],
        }
    ]
    assert "billing" in failed.body["fields"][0]["message"].split(" fails: ", 1)[1]
    versions = (await api.request("GET", "/v1/rules/versions")).body["versions"]
    assert [(v["hash"], v["active"], v["shadow"]) for v in versions] == [
        (live, True, False),
        (shadow.body["hash"], False, True),
    ]

    # The same pack with its test fixed (tests are not part of the hash): promoted.
    fixed = await api.request("POST", "/v1/rules/shadow", json={"pack": CANDIDATE + PASSING})
    assert fixed.body["hash"] == shadow.body["hash"]
    promoted = await api.request("POST", "/v1/rules/shadow/promote")
    assert promoted.status == 200, promoted.body
    assert promoted.body["hash"] == shadow.body["hash"]
    await api.assert_described(promoted, "POST", "/v1/rules/shadow/promote")
    versions = (await api.request("GET", "/v1/rules/versions")).body["versions"]
    [now_active] = [v for v in versions if v["active"]]
    assert now_active["hash"] == shadow.body["hash"] and not now_active["shadow"]
    assert now_active["activated_via"] == "promote"
    assert now_active["activated_by"] == f"api:{tenants['acme']}/settings-1"
    assert (await api.request("GET", "/v1/rules/shadow")).body == {"shadow": None}
    assert (await api.request("POST", "/v1/rules/shadow/promote")).status == 404
    # globex's active pack is its own: untouched.
    globex = (await api.request("GET", "/v1/rules/versions", tenant="globex")).body["versions"]
    assert [v["hash"] for v in globex if v["active"]] == [live]


async def test_the_cli_publishes_a_shadow_pack_reports_and_promotes(
    cli_settings: Settings, tenants: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = tenants["acme"]
    live = publish(cli_settings, TEST_PACKS / "basic")
    failing, passing = tmp_path / "failing.yaml", tmp_path / "passing.yaml"
    failing.write_text(CANDIDATE + FAILING)
    passing.write_text(CANDIDATE + PASSING)

    published = await cli(capsys, "rules", "publish", str(failing), "--shadow", "--tenant", tenant)
    assert published.returncode == 0, published.stderr
    assert f"tenant {tenant}'s shadow pack" in published.stdout
    listed = await cli(capsys, "rules", "list", "--tenant", tenant)
    assert listed.stdout.splitlines()[0].startswith(f"* {live}") and listed.stdout.splitlines()[1][0] == "S"
    refused = await cli(capsys, "rules", "promote", "--tenant", tenant)
    assert refused.returncode == 1
    assert "test case 'an invoice still goes to billing' fails" in refused.stderr
    report = await cli(capsys, "rules", "shadow-report", "--tenant", tenant, "--format", "json")
    assert report.returncode == 0 and json.loads(report.stdout)["total"]["compared"] == 0

    again = await cli(capsys, "rules", "publish", str(passing), "--shadow", "--tenant", tenant)
    assert again.returncode == 0, again.stderr
    promoted = await cli(capsys, "rules", "promote", "--tenant", tenant)
    assert promoted.returncode == 0, promoted.stderr
    listed = await cli(capsys, "rules", "list", "--tenant", tenant)
    assert listed.stdout.splitlines()[1].startswith("* ") and "promoted by cli:" in listed.stdout
    shown = await cli(capsys, "rules", "shadow", "--tenant", tenant)
    assert shown.stdout.strip() == f"tenant {tenant} has no shadow pack"
