"""Condition algebra on JSON-logic conjuncts (atoms.py): contradiction and implication, sound or silent.

`contradiction` and `implies` answer only what they can prove, on JSON-logic as the engine
runs it: its `==` is loose (`"1" == 1`, `"true" == true`, `null == 0`), a failing operation (a
`NaN` comparison) counts as false. Where the engine's semantics matter (a value against a
comparison), the engine itself is asked, on literals; everything else claims nothing. A hypothesis
test (tests/test_rules_check.py) checks every claim against random contexts.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from engine.rules import jsonlogic
from engine.rules.analysis.atoms import ORDER, Atom, canonical_json, is_number
from engine.rules.context_domains import domain

MAX_SET = 64
"""Values of an `in` list reasoned about one by one; a longer list is only compared as a whole."""
_NOT_TEXT = {"true", "false", "null", "nan", "infinity"}


@dataclass(frozen=True)
class Clash:
    """Why conjuncts cannot all be truthy: `second` against `first` (None: `second` alone)."""

    first: Atom | None
    second: Atom
    domain: bool = False
    """True when `second` alone asks for a value its field never holds on the event."""


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
    return logic is not None and _holds_cached(canonical_json(logic))


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
    if atom.op in ("==", "===") and is_number(atom.value):
        point = float(atom.value)
        return _Bound(point, False, atom), _Bound(point, False, atom)
    if atom.op in ORDER and is_number(atom.value):
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
    if atom.op == "contains_any" and any(_finds(atom, other) for other in by):
        return True
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


def _finds(atom: Atom, other: Atom) -> bool:
    """Whether a text `other` finds a keyword in (`contains_any`) holds one of `atom`'s: each of
    its keywords contains one of them (`["damaged"]` after `["damaged", "broken"]`)."""
    return (
        other.op == "contains_any"
        and other.var == atom.var
        and bool(other.value)
        and all(any(word in keyword for word in atom.value) for keyword in other.value)
    )


def implies(later: tuple[Atom, ...], earlier: tuple[Atom, ...], event: str) -> bool:
    """Whether every context of `event` on which all of `later` are truthy makes all of `earlier` so."""
    return all(implied(atom, later, event) for atom in earlier)
