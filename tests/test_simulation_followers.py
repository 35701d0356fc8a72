"""`rules simulate` and `rules diff` follow the status changes a pack's actions make, as live does.

A rule that solves a conversation on "thanks" raises `status.changed`, and live a rule on that tags
it and schedules the survey: simulate counted neither, and diff, "what happens if I publish this",
did not show them. An event recorded as raised by an action (`audit export-events` gives them, at
depth 1) is decided as a follower of its cause, not once more on its own.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from engine.rules.simulation import RecordedConversation, diff, simulate
from tests.cli_run import run_cli
from tests.test_rule_decisions import compile_pack

OLD = """\
meta: {name: t}
templates: {survey: {en: "How did we do? 1 to 5"}}
rules:
  - id: tag-billing
    on: [message.received]
    if: {"contains_any": [{"var": "message.text"}, ["invoice"]]}
    then: [{add_tags: [billing]}]
"""
NEW = (
    OLD
    + """\
  - id: thanks-solves
    on: [message.received]
    if: {"contains_any": [{"var": "message.text"}, ["thanks"]]}
    then: [{set_status: solved}]
  - id: survey-when-solved
    on: [status.changed]
    if:
      and:
        - {"==": [{"var": "conversation.status"}, "solved"]}
        - {"==": [{"var": "event.previous_status"}, "open"]}
    then: [{add_tags: [auto-solved]}, {schedule_survey: {}}]
"""
)
THANKS = {"event": "message.received", "context": {"message": {"text": "thanks, that's all"}}}
# as exported from a live run of NEW: the status change its rule raised, recorded at depth 1
RAISED = {
    "event": "status.changed",
    "context": {"event": {"depth": 1, "previous_status": "open"}, "conversation": {"status": "solved"}},
}


def test_simulate_follows_a_status_change_and_counts_it_once(tmp_path: Path) -> None:
    new = compile_pack(tmp_path, NEW)
    before = RecordedConversation.model_validate({"id": "recorded-before", "events": [THANKS]})
    live = RecordedConversation.model_validate({"id": "exported-live", "events": [THANKS, RAISED]})
    rows, totals = simulate(new, [before, live])
    for row in rows:
        assert [e["event"] for e in row["events"]] == ["message.received", "status.changed"], row["id"]
        assert row["events"][1]["matched"] == ["survey-when-solved"]
    assert (totals.events, totals.tagged, totals.surveyed) == (4, 2, 2)
    assert totals.tags == {"auto-solved": 2}


def test_diff_shows_what_the_status_change_brings(tmp_path: Path) -> None:
    old, new = compile_pack(tmp_path, OLD), compile_pack(tmp_path, NEW)
    recorded = RecordedConversation.model_validate({"id": "c-1", "events": [THANKS]})
    (change,) = diff(old, new, [recorded])
    assert change.before == []
    assert [a["type"] for a in change.after] == ["set_status", "add_tags", "schedule_survey"]
    assert change.matched_after == ["thanks-solves", "survey-when-solved"]


def test_a_candidate_s_own_classifier_decides_recorded_traffic(tmp_path: Path) -> None:
    """Exported traffic carries the intent the live pack classified: `rules diff` decided a candidate
    that renames the `billing` intent with that recorded intent, and showed a billing question no
    keyword catches leaving the billing team, though the candidate's own classifier keeps it there."""
    default = (Path(__file__).resolve().parent.parent / "rule_packs" / "default" / "pack.yaml").read_text()
    renamed = default.replace("\n  billing:\n    description: Money", "\n  money:\n    description: Money", 1)
    reads = '{"==": [{"var": "message.intent"}, "%s"]}'
    renamed = renamed.replace(reads % "billing", reads % "money")
    assert renamed.count('"money"') == 1 and "\n  money:\n" in renamed
    old, new = compile_pack(tmp_path, default), compile_pack(tmp_path, renamed)
    exported = {
        "event": "conversation.created",
        "context": {
            "message": {"text": "You took money from my card twice this month.", "intent": "billing"},
            "customer": {"tier": "pro"},
        },
    }
    recorded = RecordedConversation.model_validate({"id": "c-1", "events": [exported]})
    assert diff(old, new, [recorded]) == [], "the candidate routes the question as the live pack did"


def test_only_the_events_live_classifies_are_classified_again(tmp_path: Path) -> None:
    """Live classifies a customer message on `conversation.created` and `message.received` only; a
    reopen's `status.changed` carries the message too, and its rules see no fresh triage there."""
    from engine.rules.triage.offline import with_triage

    pack = compile_pack(
        tmp_path,
        (Path(__file__).resolve().parent.parent / "rule_packs" / "default" / "pack.yaml").read_text(),
    )
    recorded = {"message": {"text": "You took money from my card twice this month.", "intent": "technical"}}
    assert with_triage(pack, recorded, recorded="message.received")["message"]["intent"] == "billing"
    assert with_triage(pack, recorded, recorded="status.changed") == recorded


def _pack_with_tests(tmp_path: Path, tests_yaml: str) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text(NEW)
    (pack / "tests.yaml").write_text(textwrap.dedent(tests_yaml))
    return pack


def test_a_test_case_follows_the_status_change_its_actions_make(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A case could expect `thanks-solves` but not what live does next: `survey-when-solved` on the
    status change (the session's exploratory author wrote a second case on `status.changed` by hand,
    which passed whatever `thanks-solves` did). `followed_by` expects every status change, in order."""
    pack = _pack_with_tests(
        tmp_path,
        """\
        - name: thanks solves, and the survey follows
          event: message.received
          context: {message: {text: "thanks, that's all"}}
          expect:
            matched: [thanks-solves]
            followed_by:
              - {status: solved, matched: [survey-when-solved], tags: [auto-solved]}
        - name: an invoice question changes no status
          event: message.received
          context: {message: {text: "about my invoice"}}
          expect: {tags: [billing], followed_by: []}
        - name: wrongly expects no follower
          event: message.received
          context: {message: {text: "thanks"}}
          expect: {followed_by: []}
        - name: wrongly expects another rule on the follower
          event: message.received
          context: {message: {text: "thanks"}}
          expect:
            followed_by: [{status: pending, not_matched: [survey-when-solved]}]
        """,
    )
    ran = run_cli(capsys, ["rules", "test", str(pack)])
    assert ran.returncode == 1, ran.stdout
    assert "PASS  thanks solves, and the survey follows" in ran.stdout
    assert "PASS  an invoice question changes no status" in ran.stdout
    assert "followed by: expected 0 status change(s), got 1 (to solved)" in ran.stdout
    assert "followed_by[0] (status.changed to solved): status: expected pending" in ran.stdout
    assert "followed_by[0] (status.changed to solved): rule survey-when-solved matched but should not" in (
        ran.stdout
    )
    assert ran.stdout.strip().endswith("2 passed, 2 failed")
    covered = run_cli(capsys, ["rules", "coverage", str(pack)])
    # the follower's rule is tested by the case that expects it
    assert re.search(r"^survey-when-solved\s+yes\s+3/3\s", covered.stdout, re.MULTILINE), covered.stdout


def test_a_follower_s_expectation_is_checked_as_a_case_s_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = _pack_with_tests(
        tmp_path,
        """\
        - name: typos in what follows
          event: message.received
          context: {message: {text: "thanks"}}
          expect:
            followed_by: [{status: sovled, matched: [survey-when-solve]}]
        """,
    )
    checked = run_cli(capsys, ["rules", "validate", str(pack)])
    assert checked.returncode == 2
    assert 'tests[0].expect.followed_by[0].status: unknown status "sovled" (did you mean "solved"?)' in (
        checked.stderr
    )
    assert 'tests[0].expect.followed_by[0].matched[0]: unknown rule id "survey-when-solve"' in checked.stderr


def test_a_case_without_followed_by_is_not_failed_by_what_follows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Following every case's status changes made a case fail on a follower's rule that could not
    evaluate, though the case expects nothing of it: a pack that published before no longer did."""
    pack = tmp_path / "pack"
    pack.mkdir()
    erring = (
        NEW
        + "  - id: odd\n    on: [status.changed]\n"
        + '    if: {">": [{"/": [1, {"var": "conversation.customer_messages"}]}, 0]}\n'
        + "    then: [{add_tags: [odd]}]\n"
    )
    (pack / "pack.yaml").write_text(erring)
    (pack / "tests.yaml").write_text(
        textwrap.dedent(
            """\
            - name: thanks solves
              event: message.received
              context: {message: {text: "thanks"}, conversation: {customer_messages: 0}}
              expect: {matched: [thanks-solves]}
            - name: thanks solves, and what follows is looked at
              event: message.received
              context: {message: {text: "thanks"}, conversation: {customer_messages: 0}}
              expect: {matched: [thanks-solves], followed_by: [{status: solved}]}
            """
        )
    )
    ran = run_cli(capsys, ["rules", "test", str(pack)])
    assert "PASS  thanks solves\n" in ran.stdout, ran.stdout
    assert "rule odd failed to evaluate" in ran.stdout and ran.stdout.strip().endswith("1 passed, 1 failed")
