"""A decision explains itself: which rules matched, what they read, what they decided."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from engine.rules.casetest import run_cases
from engine.rules.context import RuleContext
from engine.rules.decision import CompiledPack
from engine.rules.validation import validate
from engine.service.pack_files import load_source

PACKS = Path(__file__).resolve().parent.parent / "rule_packs"


def compile_pack(tmp_path: Path, yaml_text: str) -> CompiledPack:
    path = tmp_path / "pack.yaml"
    path.write_text(textwrap.dedent(yaml_text))
    pack, problems = validate(load_source(path))
    assert problems == [], problems
    return CompiledPack(pack)


def context(event: str, **parts) -> RuleContext:
    return RuleContext.model_validate({"event": {"type": event, "time": "2026-11-23T10:00:00Z"}, **parts})


PACK = """\
meta: {name: demo, version: "2"}
teams: {billing: {}}
rules:
  - id: vip
    on: [conversation.created]
    if: {"==": [{"var": "customer.tier"}, "vip"]}
    then: [{set_priority: high}]
  - id: billing
    on: [conversation.created]
    if: {"contains_any": [{"var": "message.text"}, ["Invoice"]]}
    then: [{add_tags: [billing]}, {route: billing}]
    stop: true
  - id: after-billing
    on: [conversation.created]
    then: [{add_tags: [seen]}]
  - id: other-event
    on: [message.sent]
"""


def test_record_lists_outcomes_reads_and_actions(tmp_path: Path) -> None:
    pack = compile_pack(tmp_path, PACK)
    decision = pack.decide(
        context("conversation.created", message={"text": "my INVOICE is wrong"}, customer={"tier": "pro"})
    )
    assert [(r.id, r.outcome) for r in decision.rules] == [
        ("vip", "not_matched"),
        ("billing", "matched"),
        ("after-billing", "not_reached"),
    ]
    assert decision.rules[0].reads == {"customer.tier": "pro"}
    assert decision.rules[1].reads == {"message.text": "my INVOICE is wrong"}
    assert [a.action for a in decision.actions] == [
        {"type": "add_tags", "value": ["billing"]},
        {"type": "route", "value": "billing"},
    ]
    assert decision.pack == "demo" and len(decision.pack_hash) == 64
    record = json.loads(decision.model_dump_json())
    assert "other-event" not in json.dumps(record)  # only rules listening to the event
    assert len(decision.model_dump_json()) < 1000


def test_evaluation_error_is_not_matched_with_the_reason(tmp_path: Path) -> None:
    pack = compile_pack(
        tmp_path,
        """\
        meta: {name: t}
        rules:
          - id: compares-text-to-number
            on: [message.received]
            if: {"==": [{"var": "message.text"}, 5]}
          - id: still-runs
            on: [message.received]
        """,
    )
    decision = pack.decide(context("message.received", message={"text": "hello"}))
    first = decision.rules[0]
    assert first.outcome == "error" and first.error
    assert decision.matched == ["still-runs"]


def test_hash_changes_with_behaviour_not_with_tests(tmp_path: Path) -> None:
    base = compile_pack(tmp_path, PACK).hash
    with_test = compile_pack(tmp_path, PACK + "tests:\n  - {name: t, event: message.sent, expect: {}}\n").hash
    changed = compile_pack(tmp_path, PACK.replace('["Invoice"]', '["Invoice", "refund"]')).hash
    assert base == with_test
    assert base != changed


def test_regex_is_linear_time_on_a_pathological_pattern(tmp_path: Path) -> None:
    pack = compile_pack(
        tmp_path,
        """\
        meta: {name: t}
        rules:
          - id: evil
            on: [message.received]
            if: {"matches": [{"var": "message.text"}, "(a+)+$"]}
        """,
    )
    decision = pack.decide(context("message.received", message={"text": "a" * 5000 + "b"}))
    assert decision.rules[0].outcome == "not_matched"


@pytest.mark.parametrize("pack_dir", ["default", "kundenservice"])
def test_shipped_packs_validate_and_pass_their_tests(pack_dir: str) -> None:
    pack, problems = validate(load_source(PACKS / pack_dir))
    assert problems == []
    assert len(pack.tests) >= 8
    failed = [(r.name, r.failures) for r in run_cases(CompiledPack(pack), pack.tests) if not r.passed]
    assert failed == []


def test_german_pack_separates_service_from_support() -> None:
    pack, _ = validate(load_source(PACKS / "kundenservice"))
    compiled = CompiledPack(pack)

    def route(text: str) -> str:
        decision = compiled.decide(context("conversation.created", message={"text": text}))
        return [a.action["value"] for a in decision.actions if a.action["type"] == "route"][-1]

    assert route("Ich möchte eine Gutschrift für die doppelte Abbuchung.") == "kundenservice"
    assert route("Die Einrichtung der Konfiguration klappt nicht.") == "kundensupport"
    assert route("Nach dem Update haben wir Datenverlust in der Kundenliste.") == "spezialisten"
    texts = pack.templates["eingangsbestaetigung"]
    assert texts["de"].startswith("Guten Tag")
