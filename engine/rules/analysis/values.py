"""Comparisons with a value the context never holds: `conversation.channel == "mail"`.

An enumerated field (engine/rules/context_domains.py) compared with anything outside its
enumeration is a typo: `==` and `in` are then never true and `!=` always true, wherever the
comparison stands in the condition (inside an `or` too), so each is an error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from engine.rules import jsonlogic
from engine.rules.analysis.atoms import EQUALITY, ORDER, comparison
from engine.rules.analysis.findings import BACKWARDS_IN, IMPOSSIBLE_VALUE, LOOSE_NULL, TEXT_AS_NUMBER, Finding
from engine.rules.condition_scan import MAX_CONDITION_NODES, scan_condition
from engine.rules.context import EventType, fields
from engine.rules.context_domains import DOMAINS, shown
from engine.rules.pack import Rule, RulePack
from engine.rules.references import suggest
from engine.rules.triage.triager import detected_languages

Operation = tuple[str, str, Any, str | None]  # scope: None where `var` reads the context
"""Where, which operator, its arguments, inside an iterator's scope (the validator's walk)."""

_EVENTS = tuple(e.value for e in EventType)


def _conditions(pack: RulePack) -> Iterator[tuple[Rule, list[Operation]]]:
    """Each rule with a condition, and the operations of the validator's walk of it (paths, and
    iterator scopes); a condition too large is left out (the validator refuses it;
    too-large-to-analyse says the rest)."""
    for i, rule in enumerate(pack.rules):
        if rule.condition is None:
            continue
        scan = scan_condition(rule.condition, f"rules[{i}].if")
        if scan.nodes <= MAX_CONDITION_NODES:
            yield rule, scan.operations


def _pack_domains(pack: RulePack) -> dict[str, tuple[Any, ...]]:
    """Fields whose values the pack itself enumerates: a message's detected language is one of the
    languages the pack serves (engine/rules/triage/triager.py), a team one the pack declares."""
    return {
        "message.language": (*detected_languages(pack), None),
        "conversation.team": (*pack.teams, None),
    }


def impossible_values(pack: RulePack) -> Iterator[Finding]:
    pack_domains = _pack_domains(pack)
    for rule, operations in _conditions(pack):
        for at, op, args, scoped in operations:
            if scoped or not (op in EQUALITY or op == "in"):
                continue
            atom = comparison(op, args, at)
            if atom is None or atom.var is None:
                continue
            known = (
                _EVENTS if atom.var == "event.type" else DOMAINS.get(atom.var) or pack_domains.get(atom.var)
            )
            if known is None:
                continue
            literals = atom.value if isinstance(atom.value, tuple) else (atom.value,)
            foreign = [v for v in literals if isinstance(v, str) and v not in known]
            if not foreign:
                continue
            if op in ("!=", "!=="):
                effect = "this comparison is always true"
            elif len(foreign) == len(literals):
                effect = "this comparison is never true"
            else:
                effect = "that value never matches"
            names = ", ".join(f'"{v}"' for v in foreign)
            hint = suggest(foreign[0], [k for k in known if isinstance(k, str)])
            if atom.var == "conversation.team":  # kept from an earlier pack: a rule may be moving them on
                severity = "warning"
                message = (
                    f"{atom.var} is {names}{hint} only for a conversation routed by an earlier "
                    f"pack: this pack's teams are {shown(known)}, so for the rest {effect}"
                )
            else:
                severity = "error"
                message = f"{atom.var} is never {names}{hint}: it is one of {shown(known)}, so {effect}"
                if atom.var == "message.language":
                    message += "; detection chooses among triage.languages"
            yield Finding(severity=severity, code=IMPOSSIBLE_VALUE, rules=[rule.id], path=at, message=message)


def loose_nulls(pack: RulePack) -> Iterator[Finding]:
    """`== null` and `!= null` on a value: read as "is missing", they also hold for 0, "" and false
    (a neutral sentiment of 0.0 matched a rule for "no sentiment"). `===` tests null alone. And an
    order comparison that holds for a field's null (read as 0: `{"<": [remaining minutes, 30]}`
    matched a conversation with no SLA, or whose target was met), unless the rule tests it."""
    for rule, operations in _conditions(pack):
        yield from _null_as_zero(rule, operations)
        for at, op, args, _scoped in operations:
            if op not in ("==", "!=") or not isinstance(args, list) or len(args) != 2 or None not in args:
                continue
            other = args[1] if args[0] is None else args[0]
            if other is None:
                continue
            strict = "===" if op == "==" else "!=="
            yield Finding(
                severity="warning",
                code=LOOSE_NULL,
                rules=[rule.id],
                path=at,
                message=f'{op} null is also {"true" if op == "==" else "false"} for 0, "" and false '
                "(JSON-logic's loose equality); to test that a value is missing write "
                f'{{"{strict}": [..., null]}}',
            )


TEXTS = frozenset(path for path, kind, _ in fields() if kind in ("string", "string or null"))
"""Fields the context holds as text: an order comparison with a number reads them as numbers."""


def texts_as_numbers(pack: RulePack) -> Iterator[Finding]:
    """An order comparison of a text field with a number: it only works for text that is a number
    ("42" > 3), and fails with a condition error on any other (counted as not matched): a length,
    `contains_any` or `matches` is meant. A warning: a text that holds a number may be intended."""
    for rule, operations in _conditions(pack):
        for at, op, args, scoped in operations:
            if scoped or op not in ORDER or len(_listed(args)) != 2:
                continue
            texts = [var for arg in args if (var := _var(arg)) in TEXTS]
            numbers = [arg for arg in args if isinstance(arg, int | float) and not isinstance(arg, bool)]
            if len(texts) != 1 or len(numbers) != 1:
                continue
            yield Finding(
                severity="warning",
                code=TEXT_AS_NUMBER,
                rules=[rule.id],
                path=at,
                message=f"{texts[0]} is text, which {op} reads as a number: any text that is not one makes "
                "this condition fail with an error (counted as not matched); to test words use "
                "contains_any or matches",
            )


NULLABLE_NUMBERS = frozenset(
    path for path, kind, _ in fields() if kind in ("number or null", "integer or null")
)
"""Numeric fields the context leaves null (no SLA applied, a target met, no lexicon, no survey)."""
SET_ON = {"survey.rating": frozenset({"survey.completed"})}
"""Nullable fields that are never null on these events (a survey answer always has its rating)."""


def _null_as_zero(rule: Rule, operations: list[Operation]) -> Iterator[Finding]:
    """Order comparisons of one nullable field with numbers that hold when the field is null."""
    events = {e.value for e in rule.on}
    tested = {
        _var(arg) for _, op, args, _ in operations if op in EQUALITY and None in _listed(args) for arg in args
    }
    tested |= {path for path, set_on in SET_ON.items() if events <= set_on}
    for at, op, args, scoped in operations:
        if scoped or op not in ORDER or not 2 <= len(_listed(args)) <= 3:
            continue
        named = [var for arg in args if (var := _var(arg)) is not None]
        if len(named) != 1 or named[0] not in NULLABLE_NUMBERS or named[0] in tested:
            continue
        nulled = [None if _var(arg) is not None else arg for arg in args]
        if not all(a is None or isinstance(a, int | float) for a in nulled):
            continue
        if jsonlogic.evaluate({op: nulled}, {}) is not True:
            continue
        yield Finding(
            severity="warning",
            code=LOOSE_NULL,
            rules=[rule.id],
            path=at,
            message=f"{named[0]} may be null, which {op} reads as 0, so this comparison holds when it is "
            f'missing; test it first: {{"!==": [{{"var": "{named[0]}"}}, null]}}',
        )


STRINGS = frozenset(
    path for path, kind, _ in fields() if kind in ("string", "string or null", "list of string")
)
"""Fields `in` searches as text or as a list of texts: a list is never found in either."""


def backwards_in(pack: RulePack) -> Iterator[Finding]:
    """`{"in": [["vip", "pro"], {"var": "customer.tier"}]}`: asks whether the list is inside the
    tier (a text, or a list of texts), never true; the arguments were meant the other way round."""
    for rule, operations in _conditions(pack):
        for at, op, args, scope in operations:
            listed = _listed(args)
            if scope or op != "in" or len(listed) != 2 or not isinstance(listed[0], list):
                continue
            if (var := _var(listed[1])) not in STRINGS:
                continue
            shown_list = json.dumps(listed[0], ensure_ascii=False)
            yield Finding(
                severity="error",
                code=BACKWARDS_IN,
                rules=[rule.id],
                path=at,
                message=f"asks whether the list {shown_list} is in {var}, which is never true: to ask "
                f'whether {var} is one of them write {{"in": [{{"var": "{var}"}}, {shown_list}]}}',
            )


def _listed(args: Any) -> list[Any]:
    return args if isinstance(args, list) else []


def _var(arg: Any) -> str | None:
    """The path of a plain `{"var": "path"}`; None for anything else."""
    if isinstance(arg, dict) and len(arg) == 1 and isinstance(arg.get("var"), str):
        return str(arg["var"])
    return None
