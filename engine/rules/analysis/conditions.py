"""Condition algebra on JSON-logic: conjuncts, contradiction and implication, sound or silent.

A rule matches when its condition is truthy. `conjuncts` splits a condition into the parts that must
all be truthy (`and` flattened, `!!` dropped, `!` of a comparison turned into the opposite
comparison); anything it does not understand stays one opaque part, equal only to itself.
`contradiction` and `implies` then answer only what they can prove, on JSON-logic as the engine
runs it: its `==` is loose (`"1" == 1`, `"true" == true`, `null == 0`), a failing operation (a
`NaN` comparison) counts as false. Where the engine's semantics matter (a value against a
comparison), the engine itself is asked, on literals; everything else claims nothing. A hypothesis
test (tests/test_rules_check.py) checks every claim against random contexts.

Work is capped (MAX_NODES per condition, MAX_CONJUNCTS, MAX_SET): past a cap, `conjuncts` answers
None (too large to analyse) and callers claim nothing about that rule.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from engine.rules import jsonlogic
from engine.rules.analysis.domains import domain

MAX_NODES = 2000
"""Elements of one condition the analysis reads; a larger one is "too large to analyse"."""
MAX_CONJUNCTS = 200
"""Conjuncts of one condition; more is "too large to analyse"."""
MAX_SET = 64
"""Values of an `in` list reasoned about one by one; a longer list is only compared as a whole."""

EQUALITY = ("==", "!=", "===", "!==")
ORDER = ("<", "<=", ">", ">=")
_NEGATED = {"==": "!=", "!=": "==", "===": "!==", "!==": "===", "in": "not in", "not in": "in"}
_NEGATED.update({"truthy": "falsy", "falsy": "truthy"})
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NOT_TEXT = {"true", "false", "null", "nan", "infinity"}
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
    """==, !=, ===, !==, in, not in, <, <=, >, >=, truthy, falsy; `false` for a falsy literal."""
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
        if self.op == "truthy":
            return {"!!": [value]}
        if self.op == "falsy":
            return {"!": [value]}
        return None


@dataclass(frozen=True)
class Clash:
    """Why conjuncts cannot all be truthy: `second` against `first` (None: `second` alone)."""

    first: Atom | None
    second: Atom
    domain: bool = False
    """True when `second` alone asks for a value its field never holds on the event."""


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


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _opaque(node: Any, at: str, positive: bool = True) -> Atom:
    text = _canonical(node)
    plus, minus = "+" + text, "-" + text
    return Atom(at, plus if positive else minus, minus if positive else plus)


def _compared(op: str, var: str, value: Any, at: str) -> Atom:
    stored = tuple(value) if isinstance(value, list) else value
    key = _canonical([var, op, value])
    negation = _canonical([var, _NEGATED[op], value]) if op in _NEGATED else "-" + key
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
    if var is None or not _scalar(literal) or (op in ORDER and not _number(literal)):
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
    return _opaque(node, at)


def _listed(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


# -- what the engine says about literals -------------------------------------------------------------


@lru_cache(maxsize=4096)
def _holds_cached(logic_json: str) -> bool:
    try:
        return jsonlogic.truthy(jsonlogic.compile_condition(json.loads(logic_json)).evaluate(None))
    except Exception:  # a failing operation counts as not matched
        return False


def holds(atom: Atom, value: Any) -> bool:
    """Whether `atom` is truthy when its variable holds `value` (the engine evaluates it)."""
    logic = atom.logic(value)
    return logic is not None and _holds_cached(_canonical(logic))


def _plain_text(value: Any) -> bool:
    """A string only that same string loosely equals: starts with a letter and is no number's or
    literal's name (`"true" == true` and `"1e1" == 10` in the engine)."""
    return (
        isinstance(value, str)
        and value[:1].isalpha()
        and value.strip().lower().lstrip("+-") not in _NOT_TEXT
        and value == value.strip()
    )


def exact_values(atom: Atom) -> tuple[Any, ...] | None:
    """Every value the variable can hold when `atom` is truthy, when that is a short known list."""
    if atom.op == "===" or (atom.op == "==" and _plain_text(atom.value)):
        return (atom.value,)
    if atom.op == "in" and len(atom.value) <= MAX_SET:
        return tuple(atom.value)
    return None


def _values_of(atoms: list[Atom], var: str, event: str) -> tuple[tuple[Any, ...], Atom | None] | None:
    """The values `var` can hold given the atoms (and its domain), with the atom that narrowed them."""
    known = domain(var, event)
    found: tuple[tuple[Any, ...], Atom | None] | None = (known, None) if known is not None else None
    for atom in atoms:
        if atom.var == var and (values := exact_values(atom)) is not None:
            if found is None or len(values) < len(found[0]):
                found = (values, atom)
    return found


# -- numeric intervals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bound:
    value: float
    strict: bool
    atom: Atom


def _bounds(atom: Atom) -> tuple[_Bound | None, _Bound | None]:
    """(lower, upper) bound a truthy atom puts on the variable as a number."""
    if atom.op in ("==", "===") and _number(atom.value):
        point = float(atom.value)
        return _Bound(point, False, atom), _Bound(point, False, atom)
    if atom.op in ORDER and _number(atom.value):
        bound = _Bound(float(atom.value), atom.op in ("<", ">"), atom)
        return (bound, None) if atom.op in (">", ">=") else (None, bound)
    return None, None


def _empty(low: _Bound, high: _Bound) -> bool:
    return low.value > high.value or (low.value == high.value and (low.strict or high.strict))


def _interval_clash(atoms: list[Atom]) -> Clash | None:
    low: _Bound | None = None
    high: _Bound | None = None
    for atom in atoms:
        lower, upper = _bounds(atom)
        if lower and (low is None or lower.value > low.value or (lower.value == low.value and lower.strict)):
            low = lower
        if upper and (
            high is None or upper.value < high.value or (upper.value == high.value and upper.strict)
        ):
            high = upper
        if low and high and _empty(low, high):
            other = high.atom if low.atom is atom else low.atom
            return Clash(other, atom)
    return None


# -- contradiction and implication ----------------------------------------------------------------------


def contradiction(atoms: tuple[Atom, ...], event: str) -> Clash | None:
    """Why the conjuncts can never all be truthy on `event`, or None when that is not proven."""
    seen: dict[str, Atom] = {}
    by_var: dict[str, list[Atom]] = {}
    for atom in atoms:
        if atom.op == "false":
            return Clash(None, atom)
        if atom.negation in seen:
            return Clash(seen[atom.negation], atom)
        seen.setdefault(atom.key, atom)
        if atom.var is None:
            continue
        group = by_var.setdefault(atom.var, [])
        known = domain(atom.var, event)
        if known is not None and not any(holds(atom, v) for v in known):
            return Clash(None, atom, domain=True)
        for other in group:
            values = exact_values(other)
            if values is not None and not any(holds(atom, v) for v in values):
                return Clash(other, atom)
            values = exact_values(atom)
            if values is not None and not any(holds(other, v) for v in values):
                return Clash(other, atom)
            if _different_numbers(other, atom):
                return Clash(other, atom)
        group.append(atom)
        if clash := _interval_clash(group):
            return clash
    return None


def _different_numbers(a: Atom, b: Atom) -> bool:
    """`x == 1` and `x == 2` (or `true`): the variable would be two numbers at once."""

    def number(atom: Atom) -> float | None:
        if atom.op == "==" and isinstance(atom.value, int | float) and math.isfinite(atom.value):
            return float(atom.value)
        return None

    first, second = number(a), number(b)
    return first is not None and second is not None and first != second


def implied(atom: Atom, by: tuple[Atom, ...], event: str) -> bool:
    """Whether `atom` is truthy on every context of `event` where all of `by` are."""
    if any(other.key == atom.key for other in by):
        return True
    if atom.var is None or atom.op is None:
        return False
    narrowed = _values_of(list(by), atom.var, event)
    if narrowed is not None and all(holds(atom, v) for v in narrowed[0]):
        return True
    lower, upper = _bounds(atom)
    if atom.op not in ORDER:
        return False
    same = [b for b in by if b.var == atom.var]
    lows = [lo for lo, _ in map(_bounds, same) if lo]
    highs = [hi for _, hi in map(_bounds, same) if hi]
    if lower:
        return any(
            lo.value > lower.value or (lo.value == lower.value and lo.strict >= lower.strict) for lo in lows
        )
    assert upper is not None
    return any(
        hi.value < upper.value or (hi.value == upper.value and hi.strict >= upper.strict) for hi in highs
    )


def implies(later: tuple[Atom, ...], earlier: tuple[Atom, ...], event: str) -> bool:
    """Whether every context of `event` on which all of `later` are truthy makes all of `earlier` so."""
    return all(implied(atom, later, event) for atom in earlier)
