"""`rules check`: the validator's problems and the static analysis of a pack, as one report.

Validation's problems come first and keep their codes (engine/rules/validation.py: unknown
references, context paths, missing template texts; everything else "invalid"); all are errors.
Then, on a pack whose structure parsed, the analysis: impossible values, rules that never match,
rules shadowed by an earlier `stop` rule, conflicting actions, templates missing for a served
language, and the roster when the caller has one. Work is bounded (MAX_PAIRS comparisons of rule
pairs, and atoms.MAX_NODES per condition); past it, an info finding says what was not checked.
"""

from __future__ import annotations

from engine.rules.analysis.atoms import conjuncts
from engine.rules.analysis.calendars import calendar_findings
from engine.rules.analysis.conflicts import conflicts
from engine.rules.analysis.escalations import escalation_findings
from engine.rules.analysis.findings import CheckReport, Finding, rule_index
from engine.rules.analysis.idle_timers import idle_timer_findings
from engine.rules.analysis.languages import missing_texts, untrained_languages
from engine.rules.analysis.pauses import pause_findings
from engine.rules.analysis.reachability import Budget, dead_events, never_matching, shadowed, too_large
from engine.rules.analysis.repeats import twice_on_first_message
from engine.rules.analysis.roster import Roster, roster_findings
from engine.rules.analysis.values import backwards_in, impossible_values, loose_nulls, texts_as_numbers
from engine.rules.loader import PackSource, Problem
from engine.rules.pack import RulePack
from engine.rules.validation import validate

MAX_PAIRS = 200_000
"""Rule pairs compared (shadowing and conflicts together): a few seconds at most."""


def _rule_ids(pack: RulePack | None, path: str) -> list[str]:
    index = rule_index(path)
    if pack is None or index is None or index >= len(pack.rules):
        return []
    return [pack.rules[index].id]


def _from_problem(problem: Problem, pack: RulePack | None) -> Finding:
    return Finding(
        severity="error",
        code=problem.code,
        rules=_rule_ids(pack, problem.path),
        path=problem.path,
        message=problem.message,
        line=problem.line,
    )


def analyse(
    pack: RulePack, roster: Roster | None = None, why_no_roster: str = "", source: PackSource | None = None
) -> list[Finding]:
    """The analysis' findings on a pack whose structure is valid, with their lines in `source`'s
    text when it is given (a publish refused by them names where, as `rules check` does)."""
    atoms = [conjuncts(rule.condition, f"rules[{i}].if") for i, rule in enumerate(pack.rules)]
    budget = Budget(MAX_PAIRS)
    findings = list(impossible_values(pack))
    dead = dead_events(pack, atoms)
    findings += never_matching(pack, dead, {f.path for f in findings})
    findings += loose_nulls(pack)  # after: a warning at a path must not hide its never-matches error
    findings += texts_as_numbers(pack)
    findings += backwards_in(pack)
    findings += shadowed(pack, atoms, dead, budget)
    findings += conflicts(pack, atoms, budget)
    findings += missing_texts(pack, atoms)
    findings += untrained_languages(pack)
    findings += twice_on_first_message(pack)
    findings += escalation_findings(pack)
    findings += pause_findings(pack)
    findings += idle_timer_findings(pack)
    findings += calendar_findings(pack)
    findings += roster_findings(pack, roster, why_no_roster or "no roster was given")
    findings += too_large(pack, atoms, budget)
    if source is None:
        return findings
    return [f.model_copy(update={"line": source.locate(f.path)[1] if f.path else None}) for f in findings]


def check(source: PackSource, roster: Roster | None = None, why_no_roster: str = "") -> CheckReport:
    """Every finding on the pack in `source`: publishing refuses it while `errors` is not 0."""
    return checked(source, roster, why_no_roster)[1]


def checked(
    source: PackSource, roster: Roster | None = None, why_no_roster: str = ""
) -> tuple[RulePack | None, CheckReport]:
    """`check`, with the pack when its structure parsed (None otherwise)."""
    pack, problems = validate(source)
    findings = [_from_problem(p, pack) for p in problems]
    if pack is not None:
        findings += analyse(pack, roster, why_no_roster, source)
    return pack, CheckReport.of(findings)
