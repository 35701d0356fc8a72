"""Every mistake in a pack, found before it is published, each with the path to the element.

`validate(source)` returns the parsed pack (None when its structure is broken) and a list of
problems. It checks structure (pydantic), JSON-logic (operators, argument counts, depth, `var` paths
against the documented context, inside iterators against their list's items), references
(templates, teams, calendars, SLA policies), template placeholders, duplicate rule ids,
self-triggering rules, size, and the pack's own test cases; a broken structure sets its elements
aside and checks the rest (engine/rules/salvage.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import datalogic_py
from pydantic import ValidationError

from engine.calendar import CalendarError, shared_calendar
from engine.contracts.single_line import is_pack_name
from engine.rules import jsonlogic
from engine.rules.actions import ActionBase
from engine.rules.case_checks import case_problems
from engine.rules.condition_scan import ANY_ITEM, MAX_CONDITION_NODES, scan_condition
from engine.rules.context import KNOWN_PATHS, OPEN_ENDED, fields, is_known_path
from engine.rules.context_domains import STATUSES
from engine.rules.loader import PackSource, Problem
from engine.rules.pack import MAX_TEAM_NAME, MAX_WORKFLOW_PART_BYTES, Rule, RulePack
from engine.rules.references import UNKNOWN_REFERENCE, suggest, suggest_path, unknown
from engine.rules.salvage import beyond_structure
from engine.rules.structure_problems import structure_problems
from engine.rules.templates import FORMATS, PLACEHOLDER, is_placeholder_path, split_placeholder
from engine.rules.triage.checks import triage_problems

MAX_RULES = 2000
# Operators of other languages a pack author writes by habit: closer in meaning than in spelling.
OPERATOR_ALIASES = {"=": "==", "<>": "!=", "&&": "and", "||": "or", "not": "!", "contains": "in"}
DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.\w+)+")  # what a placeholder's path looks like
# What a rule must read to stop re-triggering itself, per action that raises an event.
LOOP_GUARDS = {
    "status.changed": ("conversation.status", "event.previous_status", "event.depth"),
    "conversation.assigned": ("conversation.assignee", "event.depth"),
}
# Codes of the problems `rules check` reports under their own name (the rest are "invalid").
UNKNOWN_PATH = "unknown-context-path"
"""A `var` path or placeholder the rule context never has."""
MISSING_TEMPLATE_TEXT = "template-missing-language"
"""A template without a text in a language the pack answers in."""
BEYOND_64_BITS = (
    "a number in it is beyond what rules compute with "
    f"({jsonlogic.SMALLEST_INT} to {jsonlogic.LARGEST_INT}): write it as a string, or with a decimal point"
)
DATE_TIME_PATHS = frozenset(path for path, kind, _ in fields() if "date-time" in kind)


def validate(source: PackSource) -> tuple[RulePack | None, list[Problem]]:
    raw_rules = source.data.get("rules")
    if isinstance(raw_rules, list) and len(raw_rules) > MAX_RULES:
        return None, [source.problem("rules", f"{len(raw_rules)} rules: a pack holds at most {MAX_RULES}")]
    try:
        pack = RulePack.model_validate(source.data)
    except ValidationError as exc:
        return None, structure_problems(source, exc) + beyond_structure(source, exc, _checked)
    return pack, _checked(source, pack)


def _checked(source: PackSource, pack: RulePack) -> list[Problem]:
    checker = _Checker(source, pack)
    checker.run()
    return checker.problems


class _Checker:
    def __init__(self, source: PackSource, pack: RulePack) -> None:
        self.source = source
        self.pack = pack
        self.problems: list[Problem] = []

    def add(self, path: str, message: str, code: str = "invalid") -> None:
        self.problems.append(self.source.problem(path, message, code))

    def run(self) -> None:
        self.check_calendars()
        self.check_policies_and_teams()
        self.check_templates()
        self.check_rules()
        for path, message, code in (*case_problems(self.pack), *triage_problems(self.pack)):
            self.add(path, message, code)
        if (size := self.pack.workflow_part_size()) > MAX_WORKFLOW_PART_BYTES:
            what = "templates, calendars, SLA policies, teams and settings"
            self.add(
                "",
                f"{what} take {size:,} bytes as JSON (aliases expanded); at most {MAX_WORKFLOW_PART_BYTES:,}",
            )

    def check_calendars(self) -> None:
        chosen = self.pack.settings.business_hours_calendar
        if chosen is not None:
            self.ref("settings.business_hours_calendar", chosen, self.pack.calendars, "calendar")
        for name, doc in self.pack.calendars.items():
            try:
                calendar = shared_calendar(doc)  # checked once per distinct calendar; the worker reuses it
            except CalendarError as exc:
                for problem in exc.problems:
                    where = f".{problem.path}" if problem.path != "calendar" else ""
                    self.add(f"calendars.{name}{where}", problem.message)
                continue
            if not any(calendar.week):  # no deadline on it exists: a clock's would be sought for ever
                self.add(f"calendars.{name}.hours", "open on no day: give it opening hours")

    def check_policies_and_teams(self) -> None:
        for name, policy in self.pack.sla_policies.items():
            base = f"sla_policies.{name}"
            self.ref(f"{base}.calendar", policy.calendar, self.pack.calendars, "calendar")
            if not (
                policy.first_response_minutes or policy.next_response_minutes or policy.resolution_minutes
            ):
                self.add(
                    base, "sets no target (first_response_minutes, next_response_minutes, resolution_minutes)"
                )
            for i, status in enumerate(policy.pause_on):
                if status not in STATUSES:
                    self.add(f"{base}.pause_on[{i}]", f'unknown status "{status}"{suggest(status, STATUSES)}')
            levels = [e.level for e in policy.escalations]
            if levels != sorted(set(levels)):
                self.add(f"{base}.escalations", "levels must be unique and ascending")
            for i, esc in enumerate(policy.escalations):
                self.check_actions(f"{base}.escalations[{i}].then", esc.then)
        for name, team in self.pack.teams.items():
            shown = name if len(name) <= 2 * MAX_TEAM_NAME else name[:MAX_TEAM_NAME] + "..."
            if len(name) > MAX_TEAM_NAME:
                self.add(
                    f"teams.{shown}", f"a team name has at most {MAX_TEAM_NAME} characters ({len(name)} here)"
                )
            elif not is_pack_name(name):
                self.add(f"teams.{shown}", "a team name is one line without quotes or backslashes")
            if team.calendar is not None:
                self.ref(f"teams.{name}.calendar", team.calendar, self.pack.calendars, "calendar")

    def check_templates(self) -> None:
        default = self.pack.meta.language
        for name, texts in self.pack.templates.items():
            if default not in texts:
                self.add(
                    f"templates.{name}",
                    f'has no text in the pack language "{default}"',
                    MISSING_TEMPLATE_TEXT,
                )
            for lang, text in texts.items():
                self.check_text(f"templates.{name}.{lang}", text, "template")

    def check_text(self, path: str, text: str, what: str, *, literal_braces: bool = False) -> None:
        """A text whose `{path}` placeholders are filled: a template's, an action's (`filled`). With
        `literal_braces` (a CRM text), braces around what is not a dotted name are text, not a
        placeholder: only a `{customer.frist_name}` is a mistake."""
        if not literal_braces and text.count("{") != text.count("}"):
            self.add(path, f"unbalanced {{ }} in {what}")
        for field in PLACEHOLDER.findall(text):
            if not literal_braces or DOTTED_NAME.fullmatch(split_placeholder(field)[0]):
                self.check_placeholder(path, field)

    def check_placeholder(self, path: str, field: str) -> None:
        var, suffix = split_placeholder(field)
        if not is_placeholder_path(var):
            self.add(
                path,
                f'placeholder "{{{field}}}" is not in the rule context{suggest_path(var, KNOWN_PATHS)}',
                UNKNOWN_PATH,
            )
        elif suffix is not None and suffix not in FORMATS:
            formats = f"{', '.join(FORMATS[:-1])} or {FORMATS[-1]}"
            self.add(path, f'placeholder "{{{field}}}": unknown format "{suffix}"; use {formats}')
        elif suffix is not None and not _may_be_date_time(var):
            self.add(path, f'placeholder "{{{field}}}": {var} is not a date-time')

    def ref(self, path: str, name: str | None, table: dict[str, Any], what: str) -> None:
        if message := unknown(name, table, what):
            self.add(path, message, UNKNOWN_REFERENCE)

    def check_actions(self, path: str, actions: list[ActionBase]) -> None:
        for i, action in enumerate(actions):
            at = f"{path}[{i}].{action.kind}"
            for below, message in action.check(self.pack):
                self.add(at + below, message, UNKNOWN_REFERENCE)
            for name in action.filled:
                if isinstance(text := getattr(action, name), str):
                    self.check_text(f"{at}.{name}", text, name, literal_braces=action.literal_braces)

    def check_rules(self) -> None:
        seen: dict[str, int] = {}
        for i, rule in enumerate(self.pack.rules):
            base = f"rules[{i}]"
            if rule.id in seen:
                self.add(f"{base}.id", f'duplicate rule id "{rule.id}" (also rules[{seen[rule.id]}])')
            seen.setdefault(rule.id, i)
            reads = self.check_condition(f"{base}.if", rule.condition) if rule.condition is not None else []
            self.check_actions(f"{base}.then", rule.then)
            self.check_loop(base, rule, reads)
            self.check_business_hours_calendar(base, rule, reads)

    def check_business_hours_calendar(self, base: str, rule: Rule, reads: list[str]) -> None:
        """At creation a conversation has no team or SLA policy yet: say which calendar is meant."""
        pack = self.pack
        if (
            "conversation.created" in rule.on
            and any(r == "business_hours" or r.startswith("business_hours.") for r in reads)
            and len(pack.calendars) > 1
            and pack.settings.business_hours_calendar is None
        ):
            self.add(
                "settings.business_hours_calendar",
                f"rule {rule.id} ({base}) reads business_hours at conversation.created, before a team or "
                f"SLA policy is set: name the calendar it means (one of {', '.join(pack.calendars)})",
            )

    def check_condition(self, path: str, logic: Any) -> list[str]:
        if not isinstance(logic, dict | bool):  # JSON-logic would take it as a value: always true
            shape = "text is not read as a condition" if isinstance(logic, str) else "not a condition"
            self.add(
                path,
                f'{shape}: write a JSON-logic operation, such as {{"==": [{{"var": "customer.tier"}}, '
                '"vip"]}, or true / false',
            )
            return []
        scan = scan_condition(logic, path)
        if scan.depth > jsonlogic.MAX_DEPTH:
            self.add(path, f"nested deeper than {jsonlogic.MAX_DEPTH} levels")
            return []
        if scan.nodes > MAX_CONDITION_NODES:
            self.add(path, f"condition larger than {MAX_CONDITION_NODES} elements")
            return []
        engine_found = set()  # where the engine's own check spoke: not told twice below
        try:
            diagnostics = jsonlogic.pack_engine().check(jsonlogic._as_input(logic))
        except datalogic_py.ParseError:  # what the engine reads no JSON number past 64 bits
            self.add(path, BEYOND_64_BITS)
            return []
        for diag in diagnostics:
            if diag["severity"] != "error":
                continue
            at = path + _pointer_to_path(diag["pointer"])
            engine_found.add(at)
            if diag["code"] == "UnknownOperator" and diag["operator"]:
                op = diag["operator"]
                meant = f' (did you mean "{OPERATOR_ALIASES[op]}"?)' if op in OPERATOR_ALIASES else ""
                self.add(at, f'unknown operator "{op}"{meant or suggest(op, _operators())}')
            else:
                self.add(at, diag["message"])
        reads = []
        for at, op, args, scope in scan.operations:
            if op in jsonlogic.ARITY and at not in engine_found:
                args = args if isinstance(args, list) else [args]
                if len(args) not in (takes := jsonlogic.ARITY[op]):
                    noun = "argument" if takes == (1,) else "arguments"
                    counts = " or ".join(map(str, takes))
                    self.add(f"{at}.{op}", f"{op} takes {counts} {noun}, not {len(args)}")
                elif op == "matches" and isinstance(args[1], str) and (why := jsonlogic.check_regex(args[1])):
                    self.add(f"{at}.{op}[1]", why)
            if scope is not None:
                self.check_item_reads(scope, op, args, f"{at}.{op}")
                continue
            for var_path, where in _var_paths(op, args, f"{at}.{op}"):
                reads.append(var_path)
                if not is_known_path(var_path):
                    self.add(
                        where,
                        f'"{var_path}" is not in the rule context{suggest_path(var_path, KNOWN_PATHS)}',
                        UNKNOWN_PATH,
                    )
        return reads

    def check_item_reads(self, scope: str, op: str, args: Any, at: str) -> None:
        """The `var`s inside `some`/`all`/`none`/`filter`/`map` over a known list read its items'
        fields: a typo there (`contnt_type`) validated and the rule never matched."""
        if scope == ANY_ITEM:
            return
        for var_path, where in _var_paths(op, args, at):
            if var_path and not is_known_path(f"{scope}.{var_path}"):
                named = scope.removesuffix(".N")
                item_fields = sorted(
                    p.removeprefix(f"{scope}.") for p in KNOWN_PATHS if p.startswith(f"{scope}.")
                )
                self.add(
                    where,
                    f'"{var_path}" is not a field of the items of {named} (one of {", ".join(item_fields)})'
                    f"{suggest(var_path, item_fields)}",
                    UNKNOWN_PATH,
                )

    def check_loop(self, base: str, rule: Rule, reads: list[str]) -> None:
        listening = {e.value for e in rule.on}
        for i, action in enumerate(rule.then):
            raised = action.raises
            if raised is None or raised not in listening:
                continue
            if not any(r in LOOP_GUARDS[raised] for r in reads):
                guard = LOOP_GUARDS[raised][0]
                self.add(
                    f"{base}.then[{i}]",
                    f"raises {raised}, which triggers this rule again: add a condition on {guard}",
                )


def _may_be_date_time(path: str) -> bool:
    """A context date-time, or anything below an open-ended field (a CRM custom field may hold one)."""
    generic = ".".join("N" if part.isdigit() else part for part in path.split("."))
    return generic in DATE_TIME_PATHS or any(path.startswith(f"{root}.") for root in OPEN_ENDED)


def _pointer_to_path(pointer: str) -> str:
    if not pointer:
        return ""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]
    return "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts)


def _var_paths(op: str, args: Any, at: str) -> Iterator[tuple[str, str]]:
    """Literal data paths an operator reads, with where they stand."""
    if op == "var":
        first = args[0] if isinstance(args, list) and args else args
        if isinstance(first, str):
            yield first, at
        elif isinstance(first, int) and not isinstance(first, bool):
            yield str(first), at
    elif op in ("missing", "missing_some"):
        names = args[1] if op == "missing_some" and isinstance(args, list) and len(args) > 1 else args
        for i, name in enumerate(names if isinstance(names, list) else [names]):
            if isinstance(name, str):
                yield name, f"{at}[{i}]"


@lru_cache(maxsize=1)
def _operators() -> list[str]:
    """Every operator name and alias, for suggestions (asked once: the engine builds the list each time)."""
    engine = jsonlogic.pack_engine()
    names = [op["name"] for op in engine.operators()] + [
        a for op in engine.operators() for a in op["aliases"]
    ]
    return names + list(jsonlogic.CUSTOM_OPERATORS)
