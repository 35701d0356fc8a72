"""`POST /v1/rules/coverage` and `convoflow rules coverage` against a running service: the test half
over HTTP, and traffic counted from conversations driven through the real API."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.service.config import Settings
from engine.service.temporal_server import DevServer
from tests.api_client import ApiClient
from tests.cli_run import cli
from tests.conftest import TEST_PACKS, publish
from tests.payload_keys import TEST_PAYLOAD_KEYS

PACK = TEST_PACKS / "coverage"
PACK_WITH_TESTS = (
    (PACK / "pack.yaml").read_text()
    + "\ntests:\n"
    + "".join(f"  {line}\n" for line in (PACK / "tests.yaml").read_text().splitlines())
)


@pytest.fixture
def ops_shell(
    cli_settings: Settings, temporal_server: DevServer, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The shell ops run the CLI in: the test's Temporal, queue, database and payload keys."""
    monkeypatch.setenv("TEMPORAL_ADDRESS", temporal_server.address)
    monkeypatch.setenv("CONVOFLOW_TASK_QUEUE", cli_settings.task_queue)
    monkeypatch.setenv("CONVOFLOW_PAYLOAD_KEYS", TEST_PAYLOAD_KEYS)
    return cli_settings


def fired(report: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """Rule id -> (fired, evaluated) on the traffic."""
    return {r["id"]: (r["traffic"]["fired"], r["traffic"]["evaluated"]) for r in report["rules"]}


async def coverage_once(
    api: ApiClient, tenant: str, body: dict[str, Any], ready: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The report as soon as `ready` holds (visibility lists a conversation shortly after its start)."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        reply = await api.request("POST", "/v1/rules/coverage", json=body, tenant=tenant)
        assert reply.status == 200, reply.body
        await api.assert_described(reply, "POST", "/v1/rules/coverage")
        if ready(reply.body):
            return reply.body
        assert asyncio.get_running_loop().time() < deadline, reply.body["traffic"]
        await asyncio.sleep(0.2)


async def test_coverage_counts_what_fired_on_the_callers_tenant_only(
    api: ApiClient,
    worker: None,
    settings: Settings,
    tenants: dict[str, str],
    ops_shell: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    publish(settings, PACK)
    now = datetime.now(UTC)
    period = {"from": (now - timedelta(hours=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}
    for conversation, message, text, channel in [
        ("tc-1", "m-1", "I want a refund", "email"),
        ("tc-2", "m-2", "Where is my invoice?", "email"),
        ("tc-3", "m-3", "Do you ship to Canada?", "chat"),
        ("tc-3", "m-4", "This is urgent", "chat"),
    ]:
        posted = await api.post_message(conversation, message, text, channel=channel)
        assert posted.status in (200, 201), posted.body
    other = await api.post_message("tc-g", "m-5", "A refund, please", tenant="globex")
    assert other.status == 201

    body = {"pack": PACK_WITH_TESTS, "traffic": period}
    acme = await coverage_once(api, "acme", body, lambda r: r["traffic"]["conversations"] == 3)
    assert fired(acme) == {
        # every customer message is decided as message.received, a conversation's first also as created
        "skip-automated": (0, 7),
        "vip-invoice": (0, 3),  # no CRM here: nobody is a VIP
        "billing": (2, 3),
        "chat-in-hours": (1, 1),  # the two billing conversations stopped before it
        "not-email": (1, 1),
        "big-attachment": (0, 1),
        "route-general": (1, 1),
        "follow-up-urgent": (1, 4),
        "unhappy": (0, 0),
    }
    assert acme["summary"]["never_fired"] == ["skip-automated", "vip-invoice", "big-attachment", "unhappy"]
    billing = next(r for r in acme["rules"] if r["id"] == "billing")
    assert billing["traffic"]["conversations"] == 2
    assert billing["tested"] is True and billing["branches"] == {"covered": 6, "total": 6, "uncovered": []}
    assert acme["traffic"]["tenant"] == tenants["acme"]
    assert acme["traffic"]["decisions"] == 7 and acme["traffic"]["truncated"] is False
    assert list(acme["traffic"]["packs"].values()) == [7]

    globex = await coverage_once(api, "globex", body, lambda r: r["traffic"]["conversations"] == 1)
    assert fired(globex)["billing"] == (1, 1) and globex["traffic"]["decisions"] == 2

    # The CLI reads the same trails; a bound of one conversation says the counts are a floor.
    args = ["rules", "coverage", str(PACK), "--tenant", tenants["acme"], "--from", period["from"]]
    run = await cli(capsys, *args, "--to", period["to"], "--format", "json")
    assert run.returncode == 0, run.stderr
    assert fired(json.loads(run.stdout)) == fired(acme)
    run = await cli(capsys, *args, "--conversations", "1")
    assert run.returncode == 0, run.stderr
    assert ": 1 conversation, " in run.stdout and "the counts are a floor" in run.stdout
    assert "never fired in the period: " in run.stdout


async def test_coverage_over_http_answers_the_test_half_and_names_bad_fields(api: ApiClient) -> None:
    plain = await api.request("POST", "/v1/rules/coverage", json={"pack": PACK_WITH_TESTS})
    assert plain.status == 200 and plain.body["traffic"] is None
    assert plain.body["summary"]["untested"] == ["chat-in-hours", "not-email", "unhappy"]
    assert plain.body["summary"]["branches"] == {"covered": 20, "total": 28}
    await api.assert_described(plain, "POST", "/v1/rules/coverage")
    vip = next(r for r in plain.body["rules"] if r["id"] == "vip-invoice")
    assert vip["branches"]["uncovered"] == [{"path": "rules[1].if.and[1]", "outcome": False}]

    for traffic, field in [
        ({"from": "yesterday"}, "traffic.from"),
        ({"from": "2026-02-02", "to": "2026-02-01"}, "traffic.from"),
        ({"conversations": 0}, "traffic.conversations"),
        ({"to": 5}, "traffic.to"),
    ]:
        bad = await api.request(
            "POST", "/v1/rules/coverage", json={"pack": PACK_WITH_TESTS, "traffic": traffic}
        )
        assert bad.status == 422, (traffic, bad.body)
        assert [f["field"] for f in bad.body["fields"]] == [field]
    broken = PACK_WITH_TESTS.replace("route: billing", "route: bililng")
    invalid = await api.request("POST", "/v1/rules/coverage", json={"pack": broken})
    assert invalid.status == 422 and invalid.body["fields"][0]["field"] == "pack.rules[2].then[1].route"


async def test_the_cli_says_what_is_wrong(ops_shell: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    text = await cli(capsys, "rules", "coverage", str(PACK))
    assert text.returncode == 0 and "vip-invoice: rules[1].if.and[1] never false" in text.stdout
    bad = await cli(capsys, "rules", "coverage", str(PACK), "--from", "2026-02-02", "--to", "2026-02-01")
    assert bad.returncode == 2 and bad.stderr.strip() == "--from: must be before `to` and before now"
    # One day asked as from = to: a date `to` is its midnight, and the answer says what to give.
    day = await cli(capsys, "rules", "coverage", str(PACK), "--from", "2026-02-02", "--to", "2026-02-02")
    assert day.returncode == 2 and "`to` 2026-02-03 for one day" in day.stderr, day.stderr
    missing = await cli(capsys, "rules", "coverage", "no/such/pack")
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    # a tenant's name mistyped read no traffic: "never fired in the period" for every rule
    typo = await cli(capsys, "rules", "coverage", str(PACK), "--tenant", "acmee")
    assert typo.returncode == 2, typo.stdout
    assert typo.stderr.strip() == "no tenant 'acmee': create it with `convoflow tenant create`"
