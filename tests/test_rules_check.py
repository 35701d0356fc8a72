"""`rules check`: each kind of finding on a purpose-made pack, the shipped packs clean, every proof
confirmed on random contexts, and the CLI and API (publishing refuses an error finding)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.contracts.assignment import AgentRecord
from engine.rules import jsonlogic
from engine.rules.analysis import Roster, check
from engine.rules.analysis.atoms import conjuncts
from engine.rules.analysis.conditions import contradiction, implies
from engine.rules.loader import load_object
from engine.service.config import Settings
from engine.service.pack_files import load_source
from tests.api_client import ApiClient
from tests.cli_run import cli, run_cli
from tests.pack_texts import pack_text

ROOT = Path(__file__).resolve().parent.parent
PACKS = ROOT / "tests" / "packs" / "check"


def found(pack: str, roster: Roster | None = None) -> list[tuple[str, str, list[str], str]]:
    report = check(load_source(PACKS / pack), roster)
    return [(f.severity, f.code, f.rules, f.path) for f in report.findings if f.code != "roster-not-checked"]


def test_contradictory_conditions_never_match() -> None:
    assert found("never_matches.yaml") == [
        ("error", "never-matches", ["high-and-low"], "rules[0].if.and[1]"),
        ("error", "never-matches", ["no-such-range"], "rules[1].if.and[1]"),
        ("error", "never-matches", ["tier-in-and-equal"], "rules[2].if.and[1]"),
        ("warning", "never-matches", ["wrong-event"], "rules[3].if"),
        # a customer without a lifetime value (null) is < 50 to JSON-logic
        ("warning", "loose-null", ["no-such-range"], "rules[1].if.and[1]"),
    ]


def test_values_outside_an_enumeration_are_errors() -> None:
    """The pack's own enumerations count too: `message.language == "it"` checked clean in a pack
    detecting en and de only, and `conversation.team == "biling"` where `route: biling` was an error."""
    assert found("impossible_values.yaml") == [
        ("error", "impossible-value", ["mail-channel"], "rules[0].if"),
        ("error", "impossible-value", ["closed-typo"], "rules[1].if.or[0]"),
        ("error", "impossible-value", ["closed-typo"], "rules[1].if.or[1]"),
        ("error", "impossible-value", ["italian"], "rules[2].if"),
        ("warning", "impossible-value", ["team-typo"], "rules[4].if"),
    ]
    messages = [f.message for f in check(load_source(PACKS / "impossible_values.yaml")).findings]
    assert 'message.language is never "it": it is one of de, en, empty' in messages[3]
    assert 'conversation.team is "biling" (did you mean "billing"?) only for a conversation' in messages[4]


def test_a_loose_comparison_with_null_is_warned_about() -> None:
    """A neutral sentiment (0.0) matched a rule written for "no sentiment": `== null` is also true
    for 0, "" and false; `===` is what tests a missing value, and is not warned about."""
    assert sorted(found("loose_null.yaml")) == [
        # a channel is never null: the error stays, the warning beside it does not hide it
        ("error", "never-matches", ["channel-never-null"], "rules[2].if"),
        ("warning", "loose-null", ["almost-breached"], "rules[3].if"),
        ("warning", "loose-null", ["channel-never-null"], "rules[2].if"),
        ("warning", "loose-null", ["has-intent"], "rules[1].if.and[0]"),
        ("warning", "loose-null", ["no-sentiment"], "rules[0].if"),
    ]
    assert jsonlogic.evaluate({"==": [{"var": "s"}, None]}, {"s": 0.0}) is True  # why it warns
    assert jsonlogic.evaluate({"===": [{"var": "s"}, None]}, {"s": 0.0}) is False


def test_rules_behind_a_covering_stop_rule_are_shadowed() -> None:
    assert found("shadowed.yaml") == [
        ("error", "shadowed", ["vip-chat", "vip-first"], "rules[1]"),
        ("warning", "shadowed", ["after-catch-all", "catch-all"], "rules[4]"),
    ]


def test_rules_that_may_both_match_and_disagree_are_warned_about() -> None:
    # vip-high and free-low exclude each other; billing stops before general.
    assert found("conflicts.yaml") == [
        ("warning", "conflicting-actions", ["urgent-words", "vip-high"], "rules[2].then[0]"),
        ("warning", "conflicting-actions", ["urgent-words", "free-low"], "rules[2].then[0]"),
        # live, the second automatic reply is skipped, which the pack's tests (what is decided) cannot show
        ("warning", "conflicting-actions", ["vip-note", "acknowledge"], "rules[6].then[0]"),
        # the SLA policy, the costliest to miss: a fleet customer of no gold tier ended on standard
        ("warning", "conflicting-actions", ["standard-sla", "premium-sla"], "rules[9].then[0]"),
    ]


def test_no_conflict_is_claimed_where_an_earlier_stop_rule_takes_the_event_from_both() -> None:
    """A VIP stops at vip-routing, so urgent-first-message and vip-low never both act on one: the
    check said "which wins" of a rule it had just shown never runs (it claims only what it proves)."""
    assert found("stopped_before.yaml") == [("error", "shadowed", ["vip-low", "vip-routing"], "rules[2]")]


def test_text_compared_with_a_number_is_warned_about() -> None:
    """`{">": [message.text, 3]}` checked clean and failed with an error on every message that is
    not a number (shadow mode counted them; four tests failed): a length or words were meant."""
    report = check(load_source(PACKS / "text_as_number.yaml"))
    assert [(f.severity, f.code, f.rules, f.path) for f in report.findings if f.code == "text-as-number"] == [
        ("warning", "text-as-number", ["long-message"], "rules[0].if")
    ]
    message = next(f.message for f in report.findings if f.code == "text-as-number")
    assert message.startswith("message.text is text, which > reads as a number")


def test_a_rule_that_sends_on_created_and_received_is_warned_it_sends_twice() -> None:
    """A customer's first message raises both events: a rule on both notified the team twice and
    wrote two CRM notes, and an `escalate` whose level notifies did too. Tags set twice, a level that
    sends nothing, or a condition on `event.type`, are not reported."""
    findings = check(load_source(PACKS / "twice.yaml")).findings
    twice = [(f.rules, f.path, f.message) for f in findings if f.code == "twice-on-first-message"]
    assert [(rules, path) for rules, path, _ in twice] == [
        (["tell-billing"], "rules[0].on"),
        (["answer"], "rules[4].on"),
        (["legal-threat"], "rules[5].on"),
    ]
    assert "notify, add_note runs twice" in twice[0][2] and "reply runs twice" in twice[1][2]
    # an escalation level that notifies sent the leads two notifications for one message
    assert "escalate (level 1) runs twice" in twice[2][2]
    assert all(f.severity == "warning" for f in findings if f.code == "twice-on-first-message")


def test_a_served_language_no_intent_has_an_example_in_is_warned_about() -> None:
    """The default pack detected French and Spanish with English and German examples only: "Merci"
    was classified cancellation (0.44) and routed to retention, with a clean check."""
    assert found("untrained.yaml") == [("warning", "untrained-language", [], "intents")]
    (finding,) = [
        f for f in check(load_source(PACKS / "untrained.yaml")).findings if f.code == "untrained-language"
    ]
    assert finding.message.startswith("no intent has an example in fr, which triage serves")


def test_references_paths_and_template_languages() -> None:
    assert found("references.yaml") == [
        ("error", "unknown-reference", [], "teams.support.calendar"),
        ("error", "unknown-context-path", ["broken-references"], "rules[0].if.==[0].var"),
        ("error", "unknown-reference", ["broken-references"], "rules[0].then[0].reply.template"),
        ("error", "unknown-reference", ["broken-references"], "rules[0].then[1].route"),
        ("error", "unknown-reference", ["broken-references"], "rules[0].then[2].apply_sla"),
        ("error", "unknown-reference", ["broken-references"], "rules[0].then[3].assign.skills[0]"),
        # both acknowledge a new conversation: the window lets one reply out
        ("warning", "conflicting-actions", ["acknowledge", "broken-references"], "rules[1].then[0]"),
        ("warning", "template-missing-language", ["acknowledge"], "templates.ack"),
    ]


def _agent(agent_id: str, skills: list[str]) -> AgentRecord:
    return AgentRecord(agent_id=agent_id, name=agent_id, skills=skills)


def test_the_roster_is_checked_when_there_is_one() -> None:
    pack = {
        "meta": {"name": "roster"},
        "teams": {"support": {"skills": ["billing", "lang:de"]}},
        "rules": [
            {
                "id": "named",
                "on": ["conversation.created"],
                "then": [{"assign": {"strategy": "agent", "agent": "zoe"}}],
            },
            {
                "id": "skilled",
                "on": ["conversation.created"],
                "then": [{"assign": {"skills": ["billing", "lang:de"]}}],
            },
        ],
    }
    roster = Roster("acme", [_agent("ann", ["billing"]), _agent("bob", ["lang:de"])])
    report = check(load_object(pack), roster)
    assert [(f.severity, f.code, f.rules, f.path) for f in report.findings] == [
        ("error", "roster", ["named"], "rules[0].then[0].assign.agent"),
        ("warning", "roster", ["skilled"], "rules[1].then[0].assign.skills"),
    ]
    # An agent in a team the pack no longer has (renamed, dropped): published, the agent took none of
    # its conversations and could not be saved again, without a word before.
    moved = Roster(
        "acme", [_agent("ann", ["billing"]), AgentRecord(agent_id="ben", name="Ben", teams=["technical"])]
    )
    [orphan] = [f for f in check(load_object(pack), moved).findings if f.path == "teams"]
    assert orphan.severity == "warning" and "team 'technical' is not in this pack, yet ben" in orphan.message
    skipped = check(load_object(pack), None, "no --tenant given").findings
    assert [(f.severity, f.code, f.message) for f in skipped] == [
        ("info", "roster-not-checked", "agents and their skills not checked: no --tenant given")
    ]


@pytest.mark.parametrize("name", ["default", "kundenservice"])
def test_the_shipped_packs_have_no_error(name: str) -> None:
    report = check(load_source(ROOT / "rule_packs" / name))
    assert report.errors == 0, [str(f) for f in report.findings]


def test_a_hostile_condition_is_capped_not_analysed() -> None:
    huge = {"and": [{"==": [{"var": "customer.tier"}, f"t{i}"]} for i in range(1200)]}
    pack = {"meta": {"name": "big"}, "rules": [{"id": "big", "on": ["conversation.created"], "if": huge}]}
    report = check(load_object(pack))
    assert ("info", "too-large-to-analyse", ["big"], "rules[0].if") in [
        (f.severity, f.code, f.rules, f.path) for f in report.findings
    ]


# -- soundness: every claim holds on random contexts ---------------------------------------------------

PATHS = [
    "customer.tier",
    "customer.lifetime_value",
    "conversation.priority",
    "conversation.channel",
    "customer.custom.x",
]
LITERALS = st.sampled_from(
    [
        "vip",
        "free",
        "high",
        "low",
        "chat",
        "email",
        "",
        "1",
        "01",
        "1e1",
        "true",
        "false",
        "abc",
        " 1",
        0,
        1,
        2,
        10,
        2.5,
        -1,
        True,
        False,
        None,
    ]
)
OPS = st.sampled_from(["==", "!=", "===", "!==", "<", "<=", ">", ">="])


@st.composite
def atoms(draw: st.DrawFn) -> Any:
    var = {"var": draw(st.sampled_from(PATHS))}
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return {"in": [var, draw(st.lists(LITERALS, max_size=3))]}
    if kind >= 5:  # keywords, some inside others ("vi" in "vip"), one cased, one empty
        found = {
            "contains_any": [
                var,
                draw(st.lists(st.sampled_from(["vi", "vip", "VIP", "ee", "free", "x", ""]), max_size=3)),
            ]
        }
        return {"!": found} if kind == 6 else found
    if kind == 1:
        return var
    literal = draw(LITERALS)
    term = {draw(OPS): [var, literal] if draw(st.booleans()) else [literal, var]}
    return {"!": term} if kind == 2 else term


CONDITIONS = st.lists(atoms(), min_size=1, max_size=4).map(lambda xs: {"and": xs})
VALUES = st.one_of(LITERALS, st.just([]), st.just(["vip"]), st.just({"a": 1}))


@st.composite
def contexts(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "event": {"type": "conversation.created"},
        "customer": {"tier": draw(VALUES), "lifetime_value": draw(VALUES), "custom": {"x": draw(VALUES)}},
        "conversation": {
            "priority": draw(st.sampled_from(["low", "normal", "high", "urgent"])),
            "channel": draw(st.sampled_from(["email", "chat", "whatsapp", "sms", "social"])),
        },
    }


def _matches(condition: Any, data: dict[str, Any]) -> bool:
    try:
        return jsonlogic.truthy(jsonlogic.compile_condition(condition).evaluate(data))
    except Exception:
        return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CONDITIONS, CONDITIONS, st.lists(contexts(), min_size=20, max_size=20))
def test_never_matches_and_shadowing_claims_hold_on_random_contexts(
    first: Any, second: Any, samples: list[dict[str, Any]]
) -> None:
    a, b = conjuncts(first, "a"), conjuncts(second, "b")
    assert a is not None and b is not None
    if contradiction(b, "conversation.created") is not None:
        assert not any(_matches(second, data) for data in samples), json.dumps(second)
    if implies(b, a, "conversation.created"):
        for data in samples:
            assert not _matches(second, data) or _matches(first, data), (
                json.dumps(first),
                json.dumps(second),
            )


# -- CLI and API ---------------------------------------------------------------------------------------


def test_cli_check_exits_1_on_an_error_and_speaks_json(capsys: pytest.CaptureFixture[str]) -> None:
    bad = run_cli(capsys, ["rules", "check", str(PACKS / "shadowed.yaml")])
    assert bad.returncode == 1 and "never runs: rule vip-first (rules[0])" in bad.stdout
    refused = run_cli(capsys, ["rules", "publish", str(PACKS / "shadowed.yaml"), "--tenant", "acme"])
    assert refused.returncode == 2 and "line 9: rules[1]: never runs" in refused.stderr, refused.stderr
    ok = run_cli(capsys, ["rules", "check", str(ROOT / "rule_packs" / "default"), "--format", "json"])
    body = json.loads(ok.stdout)
    assert (
        ok.returncode == 0
        and body["errors"] == 0
        and body["warnings"] == len([f for f in body["findings"] if f["severity"] == "warning"])
    )


async def test_api_check_and_publish_refused_on_an_error_finding(api: ApiClient) -> None:
    text = (PACKS / "shadowed.yaml").read_text()
    checked = await api.request("POST", "/v1/rules/check", json={"pack": text})
    assert checked.status == 200 and checked.body["errors"] == 1 and checked.body["warnings"] == 1
    first = checked.body["findings"][0]
    assert (first["code"], first["rules"], first["path"], first["line"]) == (
        "shadowed",
        ["vip-chat", "vip-first"],
        "rules[1]",
        9,
    )
    assert checked.body["findings"][-1]["code"] == "roster-not-checked"  # this tenant has no agents
    bad = await api.request("POST", "/v1/rules/check", json={"pak": text})
    assert bad.status == 422 and bad.body["fields"][0]["field"] in ("pack", "pak")
    refused = await api.request("POST", "/v1/rules/publish", json={"pack": text})
    assert refused.status == 422 and refused.body["error"] == "check_failed"
    assert refused.body["fields"] == [
        {
            "field": "pack.rules[1]",
            "message": "shadowed: never runs: rule vip-first (rules[0]) comes first, has stop: true and "
            "matches whenever this one would",
            "line": 9,  # as /v1/rules/check says: the refusal named no line
        }
    ]
    published = await api.request(
        "POST", "/v1/rules/publish", json={"pack": pack_text(ROOT / "rule_packs" / "default")}
    )
    assert published.status == 201


async def test_a_publish_says_what_rules_check_warns_about(
    api: ApiClient, capsys: pytest.CaptureFixture[str], cli_settings: Settings, tenants: dict[str, str]
) -> None:
    """A pack with warnings was published without a word of them (API and CLI): an ops lead read
    "published" and never ran `rules check`."""
    text = (PACKS / "conflicts.yaml").read_text()
    published = await api.request("POST", "/v1/rules/publish", json={"pack": text})
    assert published.status == 201, published.body
    warned = [(w["code"], w["path"]) for w in published.body["warnings"]]
    assert ("conflicting-actions", "rules[9].then[0]") in warned and len(warned) == 4
    run = await cli(capsys, "rules", "publish", str(PACKS / "conflicts.yaml"), "--tenant", tenants["acme"])
    assert run.returncode == 0 and run.stdout.startswith("published conflicts")
    lines = run.stderr.splitlines()
    assert len(lines) == 4 and all(line.startswith("convoflow rules: warning ") for line in lines), lines


def test_escalation_levels_no_rule_starts_or_whose_delay_is_skipped_are_warned_about(
    tmp_path: Path,
) -> None:
    """A policy's levels do nothing by themselves: with no rule escalating, a breach escalated
    nothing and `rules check` said nothing; a first level's `after_breach_minutes` ran at the breach."""
    delayed = found("escalations.yaml")
    assert (
        "warning",
        "escalation-delay-ignored",
        ["escalate-on-breach"],
        ("sla_policies.standard.escalations[0].after_breach_minutes"),
    ) in delayed, delayed
    assert not [f for f in delayed if f[1] == "escalations-never-run"]  # level 2 waits its 120 minutes
    text = (PACKS / "escalations.yaml").read_text()
    (tmp_path / "pack.yaml").write_text(text[: text.index("  - id: escalate-on-breach")])
    idle = [(f.severity, f.code, f.path) for f in check(load_source(tmp_path / "pack.yaml")).findings]
    assert ("warning", "escalations-never-run", "sla_policies.standard.escalations") in idle, idle


def test_a_later_level_due_before_an_earlier_one_and_a_server_s_zone_are_warned_about(
    tmp_path: Path,
) -> None:
    """Level 3 after 60 minutes behind level 2's 120 ran at once when level 2 did; `timezone:
    localtime` validated and counted the office's hours in the zone of whichever host ran the worker;
    `pause_on: [solved]` passed without a word, and pauses nothing."""
    text = (PACKS / "escalations.yaml").read_text()
    text = text.replace("after_breach_minutes: 30", "after_breach_minutes: 0")
    text = text.replace(
        "        then: [{set_priority: urgent}]\n",
        "        then: [{set_priority: urgent}]\n"
        "      - level: 3\n        after_breach_minutes: 60\n        then: [{set_priority: high}]\n",
    )
    text = text.replace("    timezone: UTC", "    timezone: localtime")
    text = text.replace(
        "    first_response_minutes: 60\n",
        "    first_response_minutes: 60\n    pause_on: [pending, solved]\n",
    )
    (tmp_path / "pack.yaml").write_text(text)
    shown = [(f.severity, f.code, f.path) for f in check(load_source(tmp_path / "pack.yaml")).findings]
    assert (
        "warning",
        "escalation-before-earlier-level",
        "sla_policies.standard.escalations[2].after_breach_minutes",
    ) in shown, shown
    assert ("warning", "server-time-zone", "calendars.always.timezone") in shown, shown
    # solved meets the clocks: pausing on it pauses nothing
    assert ("warning", "pause-on-ended-status", "sla_policies.standard.pause_on[1]") in shown, shown
    assert not [s for s in shown if s[2] == "sla_policies.standard.pause_on[0]"], shown
    assert not [s for s in shown if s[1] == "escalation-delay-ignored"]  # level 1 waits nothing now
    # level 2 after the level a rule runs at the breach: not "before" it, whatever level 1 says
    assert (
        "warning",
        "escalation-before-earlier-level",
        "sla_policies.standard.escalations[1].after_breach_minutes",
    ) not in shown


def test_in_with_its_arguments_the_wrong_way_round_is_an_error() -> None:
    """`{"in": [["vip", "pro"], {"var": "customer.tier"}]}` checked clean and never matched a VIP:
    it asks whether the list is inside the tier. A CRM custom field may hold lists: not claimed."""
    report = check(load_source(PACKS / "backwards_in.yaml"))
    wrong = [(f.severity, f.rules, f.path) for f in report.findings if f.code == "backwards-in"]
    assert wrong == [
        ("error", ["vip-backwards"], "rules[0].if"),
        ("error", ["tagged-backwards"], "rules[2].if"),
    ]
    message = next(f.message for f in report.findings if f.code == "backwards-in")
    assert message.endswith('write {"in": [{"var": "customer.tier"}, ["vip", "pro"]]}'), message


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(max_size=5), max_size=3),
    st.one_of(st.none(), st.text(max_size=8), st.lists(st.text(max_size=5), max_size=3)),
)
def test_the_backwards_in_claim_holds_on_any_text_or_list_of_texts(listed: list[str], value: Any) -> None:
    """What `backwards-in` claims, checked against the engine: a list is in no text, nor in any
    list of texts (nor in a missing value)."""
    assert not _matches({"in": [listed, {"var": "field"}]}, {"field": value})


def test_a_rule_whose_keywords_an_earlier_stop_rule_already_finds_is_shadowed() -> None:
    """`contains_any ["damaged goods"]` after a stop rule on `["damaged", "broken"]` never runs (a
    text holding the one holds the other); the check said so only for the same list written twice.
    A list with a keyword of its own ("refund") is not claimed."""
    assert found("shadowed_keywords.yaml") == [("error", "shadowed", ["damaged-vip", "damaged"], "rules[1]")]


def test_an_idle_reminder_due_after_the_auto_close_is_named(tmp_path: Path) -> None:
    """`idle_reminder_minutes: 2880` with `auto_close_idle_minutes: 1440` passed without a word: the
    conversation closes first and the reminder never goes out."""
    shutil.copytree(Path(__file__).parent / "packs" / "timers", tmp_path / "pack")
    pack = tmp_path / "pack" / "pack.yaml"
    text = pack.read_text(encoding="utf-8").replace(
        "auto_close_idle_minutes: 0.03", "auto_close_idle_minutes: 0.01"
    )
    pack.write_text(text, encoding="utf-8")
    shown = [(f.severity, f.code, f.path) for f in check(load_source(tmp_path / "pack")).findings]
    assert ("warning", "idle-reminder-after-close", "settings.idle_reminder_minutes") in shown, shown
    fine = [(f.code) for f in check(load_source(Path(__file__).parent / "packs" / "timers")).findings]
    assert "idle-reminder-after-close" not in fine


def test_a_fixed_offset_zone_and_hours_typed_backwards_are_pointed_out(tmp_path: Path) -> None:
    """`timezone: EST` for a New York office and `["14:00", "06:00"]` typed for `06:00-14:00` passed
    `rules check` silently (helper-114): the office opened an hour late all summer, and a day shift
    became a night's. The first is a warning naming the city's zone; the second an info (a night
    shift is written the same way), as is neither a city zone nor a range to midnight."""
    text = (PACKS / "escalations.yaml").read_text()
    text = text.replace("    timezone: UTC", "    timezone: EST")
    text = text.replace('mon: [["00:00", "24:00"]]', 'mon: [["14:00", "06:00"], ["18:00", "00:00"]]')
    (tmp_path / "pack.yaml").write_text(text)
    found = check(load_source(tmp_path / "pack.yaml")).findings
    shown = {(f.severity, f.code, f.path): f for f in found}
    zone = shown[("warning", "fixed-offset-time-zone", "calendars.always.timezone")]
    assert "America/New_York" in zone.message and zone.line == 5, zone
    night = shown[("info", "overnight-range", "calendars.always.hours.mon[0]")]
    assert "16 hours" in night.message and "06:00-14:00" in night.message, night
    assert ("info", "overnight-range", "calendars.always.hours.mon[1]") not in shown, shown  # to midnight
    city = text.replace("    timezone: EST", "    timezone: America/New_York")
    (tmp_path / "pack.yaml").write_text(city)
    codes = [f.code for f in check(load_source(tmp_path / "pack.yaml")).findings]
    assert "fixed-offset-time-zone" not in codes and codes.count("overnight-range") == 1, codes
