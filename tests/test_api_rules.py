"""The ops tooling over HTTP: the same validation, tests, simulation and publishing as the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.api_client import ApiClient
from tests.pack_texts import pack_text

PACKS = Path(__file__).resolve().parent.parent / "rule_packs"
SAMPLES = PACKS / "samples" / "conversations.jsonl"
DEFAULT_YAML = (PACKS / "default" / "pack.yaml").read_text()


def samples(n: int) -> list[dict]:
    return [json.loads(line) for line in SAMPLES.read_text().splitlines()[:n]]


async def test_validate_reports_problems_with_path_and_line(api: ApiClient) -> None:
    ok = await api.request("POST", "/v1/rules/validate", json={"pack": DEFAULT_YAML})
    assert ok.status == 200 and ok.body["valid"] is True and len(ok.body["hash"]) == 64
    await api.assert_described(ok, "POST", "/v1/rules/validate")
    broken = DEFAULT_YAML.replace("route: technical", "route: tech", 1)
    line = next(n for n, t in enumerate(broken.splitlines(), 1) if "route: tech" in t)
    bad = await api.request("POST", "/v1/rules/validate", json={"pack": broken})
    assert bad.status == 422 and bad.body["error"] == "invalid_pack"
    assert bad.body["fields"] == [
        {
            "field": "pack.rules[7].then[1].route",
            "message": 'unknown team "tech" (did you mean "technical"?)',
            "line": line,
        }
    ]


async def test_validate_accepts_a_json_object_and_names_structure_errors(api: ApiClient) -> None:
    reply = await api.request(
        "POST", "/v1/rules/validate", json={"pack": {"meta": {"name": "x"}, "rules": [{"id": "r"}]}}
    )
    assert reply.status == 422
    assert reply.body["fields"][0]["field"] == "pack.rules[0].on"


async def test_test_and_simulate(api: ApiClient) -> None:
    tests_yaml = (PACKS / "default" / "tests.yaml").read_text()
    with_tests = DEFAULT_YAML + "\ntests:\n" + "".join(f"  {line}\n" for line in tests_yaml.splitlines())
    tested = await api.request("POST", "/v1/rules/test", json={"pack": with_tests})
    cases = len(yaml.safe_load(tests_yaml))
    assert tested.status == 200 and tested.body["failed"] == 0 and tested.body["passed"] == cases > 20
    assert tested.body["cases"][0]["decision"]["rules"][1]["id"] == "acknowledge-open"
    await api.assert_described(tested, "POST", "/v1/rules/test")
    # Intents without a quality gate (both thresholds are optional): answered 500 once typed.
    ungated = with_tests.replace("  min_precision: 0.5\n", "").replace("  min_recall: 0.4\n", "")
    assert ungated != with_tests
    tested = await api.request("POST", "/v1/rules/test", json={"pack": ungated})
    assert tested.status == 200, tested.body
    assert tested.body["intents"]["gate"] == {"min_precision": None, "min_recall": None}
    await api.assert_described(tested, "POST", "/v1/rules/test")
    failing = with_tests.replace("route: billing\n", "route: general\n", 1)
    tested = await api.request("POST", "/v1/rules/test", json={"pack": failing})
    assert tested.body["failed"] >= 1
    await api.assert_described(tested, "POST", "/v1/rules/test")
    simulated = await api.request(
        "POST", "/v1/rules/simulate", json={"pack": DEFAULT_YAML, "conversations": samples(50)}
    )
    assert simulated.status == 200
    assert simulated.body["totals"]["conversations"] == 50
    assert sum(simulated.body["totals"]["routed"].values()) > 0
    await api.assert_described(simulated, "POST", "/v1/rules/simulate")


async def test_simulating_a_context_the_rules_cannot_read_is_a_422_naming_the_field(api: ApiClient) -> None:
    """One mistyped field in a recorded event's context was a 500 from simulate and diff."""
    conversations = [
        {
            "id": "x-1",
            "events": [
                {"event": "conversation.created", "context": {"customer": {"lifetime_value": "lots"}}}
            ],
        }
    ]
    for route, body in (
        ("/v1/rules/simulate", {"pack": DEFAULT_YAML, "conversations": conversations}),
        ("/v1/rules/diff", {"old": DEFAULT_YAML, "new": DEFAULT_YAML, "conversations": conversations}),
    ):
        reply = await api.request("POST", route, json=body)
        assert reply.status == 422, (route, reply.body)
        (named,) = reply.body["fields"]
        assert named["field"] == "conversations.0.events.0.context.customer.lifetime_value", reply.body
        assert "valid number" in named["message"], reply.body


async def test_testing_a_pack_without_test_cases_says_there_are_none(api: ApiClient) -> None:
    reply = await api.request("POST", "/v1/rules/test", json={"pack": DEFAULT_YAML})
    assert reply.status == 422
    assert reply.body == {
        "type": "urn:convoflow:problem:no_test_cases",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "the pack has no test cases to run; add them under `tests:`",
        "error": "no_test_cases",
        "message": "the pack has no test cases to run; add them under `tests:`",
        "fields": [{"field": "pack.tests", "message": "no test cases"}],
    }


async def test_diff_and_publish(api: ApiClient) -> None:
    changed = DEFAULT_YAML.replace('"billing", "payment"', '"billing", "payment", "ship"')
    reply = await api.request(
        "POST", "/v1/rules/diff", json={"old": DEFAULT_YAML, "new": changed, "conversations": samples(300)}
    )
    assert reply.status == 200 and reply.body["changed_conversations"] > 0
    assert any({"type": "route", "value": "billing"} in c["after"] for c in reply.body["changes"])
    await api.assert_described(reply, "POST", "/v1/rules/diff")
    published = await api.request("POST", "/v1/rules/publish", json={"pack": pack_text(PACKS / "default")})
    assert published.status == 201
    await api.assert_described(published, "POST", "/v1/rules/publish")
    versions = await api.request("GET", "/v1/rules/versions")
    assert [v["hash"] for v in versions.body["versions"] if v["active"]] == [published.body["hash"]]


async def test_rule_routes_need_a_key(api: ApiClient) -> None:
    reply = await api.request("POST", "/v1/rules/validate", json={"pack": DEFAULT_YAML}, tenant=None)
    assert reply.status == 401


async def test_a_published_version_is_tested_and_checked_by_its_hash(api: ApiClient) -> None:
    """`convoflow rules test <hash>` runs a published version with its tests; the API answered
    "a pack is a mapping with meta and rules" to `{"pack": "<hash>"}` everywhere but publish."""
    tests_yaml = (PACKS / "default" / "tests.yaml").read_text()
    with_tests = DEFAULT_YAML + "\ntests:\n" + "".join(f"  {line}\n" for line in tests_yaml.splitlines())
    published = await api.request("POST", "/v1/rules/publish", json={"pack": with_tests})
    assert published.status == 201, published.body
    short = published.body["hash"][:10]
    tested = await api.request("POST", "/v1/rules/test", json={"pack": short})
    assert tested.status == 200 and tested.body["passed"] == len(yaml.safe_load(tests_yaml)), tested.body
    checked = await api.request("POST", "/v1/rules/check", json={"pack": short})
    assert checked.status == 200 and checked.body["errors"] == 0, checked.body
    elsewhere = await api.request("POST", "/v1/rules/test", json={"pack": short}, tenant="globex")
    assert elsewhere.status == 422 and elsewhere.body["fields"][0]["field"] == "pack", elsewhere.body
