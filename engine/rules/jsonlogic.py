"""JSON-logic on datalogic-py (Rust core): plain semantics, plus two helpdesk operators.

`evaluate(logic, data)` is plain JSON-logic: the official suite passes through it. Rule packs use
`compile_condition`, which adds `contains_any` and `matches` and refuses anything non-deterministic
(the `now` family is switched off: time comes from the event, never the clock).

Pitfalls handled here: datalogic reads any Python `str` as JSON text, so literal strings are encoded;
data may hold only JSON types; a very deep rule crashes the interpreter, so depth is checked first.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

import datalogic_py
import re2

from engine.rules.folding import fold

# Core + error handling + control flow keep the official suite green and leave out `now`.
FAMILIES = ["Core", "ErrorHandling", "ExtControl"]
MAX_DEPTH = 64
MAX_PATTERN_LENGTH = 1000
OPS_BUDGET = 100_000


class ConditionError(ValueError):
    """A condition that cannot run: bad depth, bad operator, failed evaluation."""


def _as_input(value: Any) -> Any:
    # A bare Python str would be parsed as JSON text; as a rule it is a string literal.
    return json.dumps(value) if isinstance(value, str) else value


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a JSON value, stopping early once past `limit` (so a hostile rule is cheap)."""
    stack = [(value, 1)]
    deepest = 0
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, d + 1) for v in node)
    return deepest


def _check_depth(logic: Any) -> None:
    if depth(logic) > MAX_DEPTH:
        raise ConditionError(f"condition nested deeper than {MAX_DEPTH} levels")


@lru_cache(maxsize=1)
def _plain_engine() -> datalogic_py.Engine:
    return datalogic_py.Engine(families=FAMILIES)


def evaluate(logic: Any, data: Any = None) -> Any:
    """Evaluate a JSON-logic rule against data with plain JsonLogic semantics."""
    _check_depth(logic)
    return _plain_engine().compile(_as_input(logic)).evaluate(_as_input(data))


# -- helpdesk operators ----------------------------------------------------------------------


def _contains_any(args_json: str) -> str:
    """contains_any(text, keywords): case-insensitive; true when any keyword occurs in text.

    text may be a string or a list of strings (e.g. tags); keywords a string or a list.
    """
    args = json.loads(args_json)
    if len(args) != 2:
        raise ValueError("contains_any takes 2 arguments: text and a list of keywords")
    text, keywords = args
    haystacks = text if isinstance(text, list) else [text]
    needles = keywords if isinstance(keywords, list) else [keywords]
    hay = [fold(str(h)) for h in haystacks if h is not None]
    found = any(fold(str(n)) in h for n in needles if n not in (None, "") for h in hay)
    return json.dumps(found)


class BadPattern(ValueError):
    """A `matches` pattern RE2 cannot compile (or too long): the condition fails, as any error does."""


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re2._Regexp:
    """The compiled pattern. A pattern may come from the conversation (`{"var": "message.subject"}`),
    so neither RE2's own log line (on stderr, where the worker's log goes) nor the error, which the
    decision record and the auditor's timeline keep, may repeat it: only what is wrong with it."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise BadPattern(f"pattern longer than {MAX_PATTERN_LENGTH} characters")
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:  # b"missing ): <the pattern from there on>"
        raw = exc.args[0] if exc.args else b""
        what = (raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)).split(":", 1)[0]
        raise BadPattern(f"bad pattern: {what}") from None


def _matches(args_json: str) -> str:
    """matches(text, pattern): case-insensitive regular-expression search in linear time (RE2)."""
    args = json.loads(args_json)
    if len(args) != 2 or not isinstance(args[1], str):
        raise ValueError("matches takes 2 arguments: text and a pattern string")
    text, pattern = args
    return json.dumps(text is not None and _regex(pattern).search(str(text)) is not None)


CUSTOM_OPERATORS = {"contains_any": _contains_any, "matches": _matches}
# How many arguments an operator takes (JsonLogic's own definitions; `<` and `<=` also take three,
# a between). The engine quietly chains a third `==` or ignores what is past the second `in`, so a
# pack passing another number most likely means something else: the validator names it.
ARITY: dict[str, tuple[int, ...]] = {
    **dict.fromkeys(("==", "===", "!=", "!==", ">", ">=", "in", "%", "/"), (2,)),
    **dict.fromkeys(("<", "<="), (2, 3)),
    **dict.fromkeys(("!", "!!"), (1,)),
    **dict.fromkeys(CUSTOM_OPERATORS, (2,)),
}


@lru_cache(maxsize=1)
def pack_engine() -> datalogic_py.Engine:
    return datalogic_py.Engine(
        families=FAMILIES, custom_operators=CUSTOM_OPERATORS, config={"ops_budget": OPS_BUDGET}
    )


def check_regex(pattern: str) -> str | None:
    """Why a pattern cannot be used, or None."""
    try:
        _regex(pattern)
    except Exception as exc:
        return str(exc)
    return None


# datalogic reads a JSON number as a 64-bit integer or a double: an integer past them is refused
# ("JSON number out of range") for the whole context, and every rule of the decision failed with it.
SMALLEST_INT, LARGEST_INT = -(2**63), 2**64 - 1


def data_handle(data: dict[str, Any]) -> datalogic_py.DataHandle:
    """The rules' context for datalogic. An integer past 64 bits (a CRM's 20-digit account number)
    is read as JavaScript reads it, a double, or as its digits when no double holds it: it failed every
    rule of every decision of the customer's conversation. Converted only when datalogic refused it."""
    try:
        return datalogic_py.DataHandle(data)
    except datalogic_py.ParseError:
        text = json.dumps(data, default=str)
        return datalogic_py.DataHandle(json.loads(text, parse_int=_integer_within_range))


def _integer_within_range(digits: str) -> int | float | str:
    if len(digits.lstrip("-")) <= 20 and SMALLEST_INT <= (value := int(digits)) <= LARGEST_INT:
        return value
    number = float(digits)
    return number if math.isfinite(number) else digits


def compile_condition(logic: Any) -> datalogic_py.Rule:
    _check_depth(logic)
    return pack_engine().compile(_as_input(logic))


def truthy(value: Any) -> bool:
    """JsonLogic truthiness: 0, "", [], null and false are false; everything else is true."""
    if isinstance(value, dict):
        return True
    return bool(value)
