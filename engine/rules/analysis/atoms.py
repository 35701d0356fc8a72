"""A JSON-logic condition as its conjuncts: the parts that must all be truthy for a rule to match.

`conjuncts` flattens `and`, drops `!!` and turns `!` of a comparison into the opposite comparison;
anything it does not understand stays one opaque part (an `Atom` equal only to itself), so the
reasoning on atoms (conditions.py) claims nothing about it. Work is capped (MAX_NODES per condition,
MAX_CONJUNCTS): past a cap, `conjuncts` answers None (too large to analyse) and callers claim
nothing about that rule.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from engine.rules import jsonlogic
from engine.rules.folding import fold

MAX_NODES = 2000
"""Elements of one condition the analysis reads; a larger one is "too large to analyse"."""
MAX_CONJUNCTS = 200
"""Conjuncts of one condition; more is "too large to analyse"."""

EQUALITY = ("==", "!=", "===", "!==")
ORDER = ("<", "<=", ">", ">=")
_NEGATED = {"==": "!=", "!=": "==", "===": "!==", "!==": "===", "in": "not in", "not in": "in"}
_NEGATED.update({"truthy": "falsy", "falsy": "truthy"})
_NEGATED.update({"contains_any": "not contains_any", "not contains_any": "contains_any"})
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Atom:
    """One conjunct: a part of a condition that must be truthy for the rule to match."""

    path: str
    """Where it stands, e.g. `rules[3].if.and[1]`."""
    key: str
    """Identity: two atoms with one key are truthy on exactly the same contexts."""
    negation: str
    """The key of the atom truthy exactly when this one is falsy (both fail together)."""
    var: str | None = None
    """The context path compared, for a comparison of one `var` with literals."""
    op: str | None = None
    """==, !=, ===, !==, in, not in, <, <=, >, >=, truthy, falsy, contains_any, not contains_any;
    `false` for a falsy literal."""
    value: Any = None
    """The literal compared with (a tuple for in / not in)."""
    label: str = ""
    """How to show it, when `text` cannot tell from the fields."""

    @property
    def text(self) -> str:
        """The atom as an ops person reads it: `conversation.priority == "high"`."""
        if self.label:
            return self.label
        if self.op == "false":
            return "a condition that is always false"
        if self.var is None:
            shown = self.key[1:]
            body = shown if len(shown) <= 80 else shown[:77] + "..."
            return body if self.key[0] == "+" else f"not {body}"
        if self.op in ("truthy", "falsy"):
            return f"{self.var} is {'set' if self.op == 'truthy' else 'empty'}"
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return f"{self.var} {self.op} {json.dumps(value, ensure_ascii=False)}"

    def logic(self, value: Any) -> Any:
        """This atom as JSON-logic with `value` in place of its variable (None for an opaque atom)."""
        literal = list(self.value) if isinstance(self.value, tuple) else self.value
        if self.op in EQUALITY or self.op in ORDER or self.op == "in":
            return {self.op: [value, literal]}
        if self.op == "not in":
            return {"!": {"in": [value, literal]}}
        if self.op == "contains_any":
            return {"contains_any": [value, literal]}
        if self.op == "not contains_any":
            return {"!": {"contains_any": [value, literal]}}
        if self.op == "truthy":
            return {"!!": [value]}
        if self.op == "falsy":
            return {"!": [value]}
        return None


def _size_over(logic: Any, limit: int) -> bool:
    stack, seen = [logic], 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > limit:
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def conjuncts(logic: Any, path: str) -> tuple[Atom, ...] | None:
    """The parts of a condition that must all be truthy; () for an absent or always-true one; None
    when it is too large to analyse."""
    if logic is None:
        return ()
    if _size_over(logic, MAX_NODES):
        return None
    found: list[Atom] = []
    stack: list[tuple[Any, str]] = [(logic, path)]
    while stack:
        node, at = stack.pop()
        op, args = _operation(node)
        if op == "and" and isinstance(args, list) and args:
            stack.extend((arg, f"{at}.and[{i}]") for i, arg in reversed(list(enumerate(args))))
            continue
        if op == "!!" and (inner := _single(args)) is not None:
            stack.append((inner[0], f"{at}.!!" + ("[0]" if isinstance(args, list) else "")))
            continue
        atom = _atom(node, at)
        if atom is not None:
            found.append(atom)
            if len(found) > MAX_CONJUNCTS:
                return None
    return tuple(found)


def _operation(node: Any) -> tuple[str | None, Any]:
    if isinstance(node, dict) and len(node) == 1:
        return next(iter(node.items()))
    return None, None


def _single(args: Any) -> tuple[Any] | None:
    """The one argument of a unary operator, written bare or as a one-element list."""
    if isinstance(args, list):
        return (args[0],) if len(args) == 1 else None
    return (args,)


def _var(node: Any) -> str | None:
    op, args = _operation(node)
    if op != "var":
        return None
    name = args[0] if isinstance(args, list) and len(args) == 1 else args
    return name if isinstance(name, str) and name else None


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _opaque(node: Any, at: str, positive: bool = True) -> Atom:
    text = canonical_json(node)
    plus, minus = "+" + text, "-" + text
    return Atom(at, plus if positive else minus, minus if positive else plus)


def _compared(op: str, var: str, value: Any, at: str) -> Atom:
    stored = tuple(value) if isinstance(value, list) else value
    key = canonical_json([var, op, value])
    negation = canonical_json([var, _NEGATED[op], value]) if op in _NEGATED else "-" + key
    return Atom(at, key, negation, var, op, stored)


def comparison(op: str, args: Any, at: str) -> Atom | None:
    """`var op literal` (either way round for ==, <, ...), or None when it is not that shape."""
    if not isinstance(args, list) or len(args) != 2:
        return None
    left, right = args
    if op == "in":
        var = _var(left)
        if var and isinstance(right, list) and all(_scalar(v) for v in right):
            return _compared("in", var, right, at)
        return None
    var, literal = _var(left), right
    if var is None:
        var, literal = _var(right), left
        op = _FLIPPED.get(op, op)
    if var is None or not _scalar(literal) or (op in ORDER and not is_number(literal)):
        return None
    return _compared(op, var, literal, at)


def _atom(node: Any, at: str) -> Atom | None:
    """One conjunct; None for a literal that is always truthy."""
    if not isinstance(node, dict):
        if isinstance(node, list):
            return _opaque(node, at)
        if jsonlogic.truthy(node):
            return None
        return Atom(at, "false", "true", op="false")
    op, args = _operation(node)
    if op is None:
        return _opaque(node, at)
    if op == "var":
        var = _var(node)
        return _compared("truthy", var, None, at) if var else _opaque(node, at)
    if op == "!":
        inner = _single(args)
        if inner is None:
            return _opaque(node, at)
        positive = _atom(inner[0], at)
        if positive is None:  # not of an always-true literal
            return Atom(at, "false", "true", op="false")
        if positive.op in _NEGATED and positive.var is not None:
            return _compared(_NEGATED[positive.op], positive.var, _listed(positive.value), at)
        if positive.op == "false":  # not of an always-false literal: always true
            return None
        # truthy exactly when the inner one is not (and failing with it)
        return Atom(at, positive.negation, positive.key, label=f"not ({positive.text})")
    if op in EQUALITY or op in ORDER or op == "in":
        return comparison(op, args, at) or _opaque(node, at)
    if op == "contains_any":
        return _keywords(args, at) or _opaque(node, at)
    return _opaque(node, at)


def _keywords(args: Any, at: str) -> Atom | None:
    """`contains_any` of a `var` and literal keywords, casefolded and without "" as the engine reads
    them, in one order (so that one list written twice is one atom); None for another shape."""
    if not isinstance(args, list) or len(args) != 2 or (var := _var(args[0])) is None:
        return None
    given = args[1] if isinstance(args[1], list) else [args[1]]
    if not all(isinstance(word, str) for word in given):
        return None
    return _compared("contains_any", var, sorted({fold(word) for word in given if word}), at)


def _listed(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
