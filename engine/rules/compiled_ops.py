"""The operators compiled conditions call: datalogic's results, for the cases we are sure of.

Compiled code (engine/rules/compiler.py) must decide exactly as the datalogic interpreter does. Each
function here returns a result only for operand types whose datalogic semantics were pinned down
(the official suite and tests/test_rule_compiler.py compare both on every case) and raises `Unsure`
for everything else: the rule is then evaluated by datalogic, which also gives the identical error
for operands it refuses. So an odd operand costs speed, never a different decision.

What datalogic does that these cases avoid, and why they send it back instead:
- strings that might be dates or durations ("2026-01-01T00:00:00Z" == "...+00:00", "1d" == "24h")
  compare as instants or spans: any such string (starting with a digit) is `Unsure`;
- loose equality across types ("1" == 1, true == 1) and ordering of mixed types: `Unsure` (null
  against a string, boolean or number is answered: it equals "", false and 0, and orders as 0);
- integers beyond 2**53 against floats: `Unsure` (the engine's number model decides those);
- the operation budget charges `in` per element (per 64 bytes of a string): containers larger than
  `MAX_IN_ITEMS` / strings longer than `MAX_IN_CHARS` are `Unsure`, so the engine meters them.
"""

from __future__ import annotations

from typing import Any

from engine.rules.folding import fold
from engine.rules.jsonlogic import _regex

MAX_IN_ITEMS = 1000
MAX_IN_CHARS = 16_000  # at most 64,000 UTF-8 bytes: about 1,000 operations of the budget
EXACT_INT = 2**53
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Unsure(Exception):
    """The compiled code cannot be sure of datalogic's answer: evaluate the rule with datalogic."""


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
UNSURE: Any = object()  # a hoisted value the operators must not decide on


# -- var -------------------------------------------------------------------------------------


def get(data: Any, parts: tuple[str, ...]) -> Any:
    """`var`: the value at a path (dict keys; list indexes in decimal digits), or MISSING.

    Never raises: it runs once per decision for every path the compiled rules read, before them."""
    for part in parts:
        kind = type(data)
        if kind is dict:
            data = data.get(part, MISSING)
            if data is MISSING:
                return MISSING
        elif kind is list:
            if part.isdigit() and part.isascii():
                index = int(part)
                if index >= len(data):
                    return MISSING
                data = data[index]
            else:  # the compiler leaves paths with "+1"-style parts (an index to the engine) to datalogic
                return MISSING
                return MISSING
        else:
            return MISSING
    return data


# -- comparison -------------------------------------------------------------------------------


def _maybe_temporal(text: str) -> bool:
    """A string datalogic may read as a date-time or a duration: both start with a digit."""
    return text[:1].isdigit()


def _number(value: Any) -> bool:
    """A number whose comparisons Python and the engine agree on."""
    kind = type(value)
    if kind is int:
        return bool(-EXACT_INT <= value <= EXACT_INT)
    return kind is float and bool(value - value == 0)


def eq(a: Any, b: Any) -> bool:
    """Loose `==` for same-typed strings, numbers, booleans, and null against those (null equals
    "", false and 0)."""
    if a is None or b is None:
        other = b if a is None else a
        kind = type(other)
        if other is None:
            return True
        if kind is str:
            return bool(other == "")
        if kind is bool:
            return other is False
        if _number(other):
            return bool(other == 0)
        raise Unsure
    ta, tb = type(a), type(b)
    if ta is str and tb is str:
        if _maybe_temporal(a) or _maybe_temporal(b):
            raise Unsure
        return bool(a == b)
    if _number(a) and _number(b):
        return bool(a == b)
    if ta is bool and tb is bool:
        return a is b
    raise Unsure


def strict_eq(a: Any, b: Any) -> bool:
    """Strict `===`: numbers by value, otherwise the same type and value; containers are Unsure."""
    ta, tb = type(a), type(b)
    if ta in (list, dict) or tb in (list, dict):
        raise Unsure
    if ta is str and tb is str:
        if _maybe_temporal(a) or _maybe_temporal(b):
            raise Unsure
        return bool(a == b)
    a_num, b_num = ta in (int, float), tb in (int, float)
    if a_num and b_num:
        if not (_number(a) and _number(b)):
            raise Unsure
        return bool(a == b)
    if a_num or b_num:
        return False
    if ta is not tb:
        return False
    return bool(a == b)


def lt(a: Any, b: Any) -> bool:
    if a is None:
        a = _null_as_zero(b)
    elif b is None:
        b = _null_as_zero(a)
    if _number(a) and _number(b):
        return bool(a < b)
    _strings(a, b)
    return bool(a < b)


def le(a: Any, b: Any) -> bool:
    if a is None:
        a = _null_as_zero(b)
    elif b is None:
        b = _null_as_zero(a)
    if _number(a) and _number(b):
        return bool(a <= b)
    _strings(a, b)
    return bool(a <= b)


def gt(a: Any, b: Any) -> bool:
    if a is None:
        a = _null_as_zero(b)
    elif b is None:
        b = _null_as_zero(a)
    if _number(a) and _number(b):
        return bool(a > b)
    _strings(a, b)
    return bool(a > b)


def ge(a: Any, b: Any) -> bool:
    if a is None:
        a = _null_as_zero(b)
    elif b is None:
        b = _null_as_zero(a)
    if _number(a) and _number(b):
        return bool(a >= b)
    _strings(a, b)
    return bool(a >= b)


def _null_as_zero(other: Any) -> Any:
    """Ordering a null against a number reads the null as 0; against anything else: Unsure."""
    if _number(other):
        return 0
    raise Unsure


def _strings(a: Any, b: Any) -> None:
    """Strings compare by code point (the engine compares UTF-8 bytes: the same order)."""
    if type(a) is not str or type(b) is not str or _maybe_temporal(a) or _maybe_temporal(b):
        raise Unsure


# -- in ----------------------------------------------------------------------------------------


def in_(needle: Any, hay: Any) -> bool:
    """`in`: substring of a string, or member of an array (strings, null, booleans as needles)."""
    kind = type(hay)
    if kind is str:
        if len(hay) > MAX_IN_CHARS:
            raise Unsure
        if type(needle) is str:
            return needle in hay
        if needle is None:
            return False
        raise Unsure
    if kind is list:
        if len(hay) > MAX_IN_ITEMS:
            raise Unsure
        if type(needle) is str:
            if _maybe_temporal(needle):
                raise Unsure
            return needle in hay  # str == non-str is False, as the engine's strict element match
        if needle is None or type(needle) is bool:
            return any(item is needle for item in hay)
        raise Unsure
    if (hay is None or kind in (int, float, bool)) and (needle is None or type(needle) is str):
        return False
    raise Unsure


def in_strings(needle: Any, hay: frozenset[str]) -> bool:
    """`in` with a literal array of strings none of which may be a date or duration."""
    if type(needle) is str:
        return needle in hay
    if needle is None or type(needle) is bool:
        return False
    raise Unsure


# -- helpdesk operators ------------------------------------------------------------------------


def casefolded(text: Any) -> Any:
    """What contains_any looks in: a casefolded string, a tuple of them (a list of strings), or None.

    Computed once per decision per context path (before the rules run, so it never raises: anything
    but strings gives UNSURE, and contains_any raises `Unsure` when it meets it).
    """
    if type(text) is str:
        return fold(text)
    if text is None:
        return None
    if type(text) is list and all(type(item) is str or item is None for item in text):
        return tuple(fold(item) for item in text if item is not None)
    return UNSURE


def contains_any(folded: Any, keywords: tuple[str, ...]) -> bool:
    """contains_any over a `casefolded` text and keywords casefolded (and emptied of "") at compile time."""
    if folded is None:
        return False
    if folded is UNSURE:
        raise Unsure
    if type(folded) is str:
        for keyword in keywords:
            if keyword in folded:
                return True
        return False
    return any(keyword in hay for keyword in keywords for hay in folded)


def matches(text: Any, pattern: str) -> bool:
    """matches(text, pattern) for string texts (RE2, case-insensitive, compiled once per pattern)."""
    if text is None:
        return False
    if type(text) is not str:
        raise Unsure
    return _regex(pattern).search(text) is not None


# -- the data a compiled decision may read -----------------------------------------------------


def context_is_plain(data: dict[str, Any]) -> bool:
    """True when datalogic reads the context `data` (RuleContext.to_data()) as it is: JSON types,
    64-bit integers, finite floats, strings without lone surrogates. Any other context is decided by
    datalogic alone (it refuses or rewrites such values: 2**64 fails, 2**63 becomes a float, NaN
    becomes null, a lone surrogate fails).

    Runs on every decision, so the two top levels (the model's own field names) are scanned flat."""
    nested: list[Any] = []
    for section in data.values():
        if type(section) is not dict:
            return is_plain(data)
        for child in section.values():
            kind = type(child)
            if kind is str:
                if not child.isascii() and not _utf8(child):
                    return False
            elif kind is dict or kind is list:
                if child:
                    nested.append(child)
            elif kind is int:
                if not INT64_MIN <= child <= INT64_MAX:
                    return False
            elif kind is float:
                if child - child != 0:  # inf - inf and nan - nan are nan
                    return False
            elif child is not None and kind is not bool:
                return False
    return all(is_plain(item) for item in nested)


def _scalars_plain(values: Any, nested: list[Any]) -> bool:
    """`context_is_plain`'s test of one container's values; containers go to `nested`."""
    for child in values:
        kind = type(child)
        if kind is str:
            if not child.isascii() and not _utf8(child):
                return False
        elif kind is dict or kind is list:
            nested.append(child)
        elif kind is int:
            if not INT64_MIN <= child <= INT64_MAX:
                return False
        elif kind is float:
            if child - child != 0:
                return False
        elif child is not None and kind is not bool:
            return False
    return True


def is_plain(value: Any) -> bool:
    """`context_is_plain` for any value: JSON types all the way down, with string keys."""
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) is dict:
            for key in item:
                if type(key) is not str or not (key.isascii() or _utf8(key)):
                    return False
            children: Any = item.values()
        elif type(item) is list:
            children = item
        else:
            children = (item,)
        if not _scalars_plain(children, stack):
            return False
    return True


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True
