"""A decision explains itself: which rules matched, what they read, what they decided."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from engine.rules.casetest import run_cases
from engine.rules.context import RuleContext
from engine.rules.decision import MAX_RECORD_BYTES, CompiledPack, bounded_record
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
    # as ops read it: "Thrown: Thrown: {"type":"NaN"} (in operator: >)" before
    ordered = compile_pack(
        tmp_path,
        """\
        meta: {name: t}
        rules:
          - id: tier-above-100
            on: [message.received]
            if: {">": [{"var": "customer.tier"}, 100]}
        """,
    ).decide(context("message.received", customer={"tier": "vip"}))
    assert ordered.rules[0].error == "Thrown: a value that is not a number (in operator: >)"


def test_hash_changes_with_behaviour_not_with_tests(tmp_path: Path) -> None:
    base = compile_pack(tmp_path, PACK).hash
    with_test = compile_pack(
        tmp_path, PACK + "tests:\n  - {name: t, event: message.sent, expect: {matched: []}}\n"
    ).hash
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


def test_a_pattern_from_the_conversation_that_is_no_pattern_repeats_none_of_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # RE2 logged "Error parsing 'Secret (Jane Roe jane.roe@private.example': missing )" on the
    # worker's stderr, and the decision record (the auditor's timeline) kept the same words.
    pack = compile_pack(
        tmp_path,
        """\
        meta: {name: t}
        rules:
          - id: subject-in-text
            on: [message.received]
            if: {"matches": [{"var": "message.text"}, {"var": "message.subject"}]}
        """,
    )
    subject = "Secret (Jane Roe jane.roe@private.example"
    decision = pack.decide(context("message.received", message={"text": "hello", "subject": subject}))
    rule = decision.rules[0]
    assert rule.outcome == "error" and "missing )" in (rule.error or ""), rule
    kept = decision.model_dump_json().replace(json.dumps(subject)[1:-1], "")  # the rule's read of it
    assert "Jane" not in kept and "Jane" not in capfd.readouterr().err


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


def attachments(count: int, name_length: int = 240) -> list[dict[str, object]]:
    return [{"name": "n" * name_length + f"{i}.pdf", "content_type": "application/pdf"} for i in range(count)]


def test_a_read_list_keeps_20_items_each_cut_like_any_value(tmp_path: Path) -> None:
    compiled = compile_pack(
        tmp_path,
        """\
        meta: {name: files}
        rules:
          - id: pdf
            on: [message.received]
            if: {"some": [{"var": "message.attachments"}, {"==": [{"var": "content_type"}, "x/none"]}]}
            then: [{add_tags: [pdf]}]
        """,
    )
    record = compiled.decide(context("message.received", message={"attachments": attachments(50)}))
    [row] = record.model_dump(mode="json")["rules"]
    read = row["reads"]["message.attachments"]
    assert len(read) == 21 and read[-1] == "… 30 more"
    assert read[0]["name"] == "n" * 200 + "…" and read[0]["content_type"] == "application/pdf"


def test_a_record_past_its_bound_keeps_outcomes_actions_and_what_the_matched_rules_read(
    tmp_path: Path,
) -> None:
    rules = [
        {
            "id": f"r{i}",
            "on": ["message.received"],
            "if": {"some": [{"var": "message.attachments"}, {"==": [{"var": "content_type"}, kind]}]},
            "then": [{"add_tags": [f"t{i}"]}],
        }
        for i, kind in enumerate(["application/pdf"] + ["x/none"] * 99)
    ]
    compiled = compile_pack(tmp_path, json.dumps({"meta": {"name": "files"}, "rules": rules}))
    record = compiled.decide(context("message.received", message={"attachments": attachments(50)}))
    full = record.model_dump(mode="json")
    bounded = bounded_record(full)
    assert len(json.dumps(full)) > MAX_RECORD_BYTES >= len(json.dumps(bounded, ensure_ascii=False))
    assert bounded["reads_left_out"] == len(
        json.dumps(full, ensure_ascii=False, separators=(",", ":")).encode()
    )
    assert [(r["id"], r["outcome"]) for r in bounded["rules"]] == [
        (r["id"], r["outcome"]) for r in full["rules"]
    ]
    assert (
        bounded["actions"]
        == full["actions"]
        == [{"rule": "r0", "action": {"type": "add_tags", "value": ["t0"]}}]
    )
    assert bounded["rules"][0]["reads"] == full["rules"][0]["reads"]  # the matched rule's
    assert all(r["reads"] == {} for r in bounded["rules"][1:])
    small = compiled.decide(context("message.received", message={"attachments": attachments(2, 10)}))
    assert bounded_record(small.model_dump(mode="json")) == small.model_dump(mode="json")


def test_a_crm_number_past_64_bits_fails_no_rule(tmp_path: Path) -> None:
    """A CRM's 20-digit account number stored as a JSON number: datalogic refused the whole context
    ("JSON number out of range"), and every rule of every decision of the customer's conversation
    failed with it. It is read as a double, as JsonLogic's JavaScript reads it."""
    pack = compile_pack(
        tmp_path,
        """\
        meta: {name: big, version: "1"}
        rules:
          - id: big-account
            on: [conversation.created]
            if: {"some": [{"var": "customer.custom.accounts"}, {">": [{"var": ""}, 1000]}]}
            then: [{add_tags: [big]}]
          - id: tier
            on: [conversation.created]
            if: {"in": ["gold", {"var": "customer.custom.tiers"}]}
            then: [{add_tags: [gold]}]
        """,
    )
    custom = {"accounts": [99999999999999999999, 10**400], "tiers": ["gold"], "id": -(2**70)}
    decision = pack.decide(context("conversation.created", customer={"custom": custom}))
    assert [(r.id, r.outcome) for r in decision.rules] == [("big-account", "matched"), ("tier", "matched")]


def test_a_condition_s_number_past_64_bits_is_named(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text(
        "meta: {name: big}\nrules:\n  - id: huge\n    on: [conversation.created]\n"
        '    if: {"==": [{"var": "customer.custom.n"}, 99999999999999999999]}\n'
    )
    _, problems = validate(load_source(path))
    assert [p.path for p in problems] == ["rules[0].if"] and "beyond what rules compute" in problems[
        0
    ].message
