"""The official JsonLogic test suite, through `engine.rules.evaluate` (datalogic) and through the rule
compiler (engine/rules/compiler.py), which must give datalogic's answer wherever it answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.rules import evaluate
from engine.rules.compiled_ops import Unsure
from engine.rules.compiler import compile_expression
from tests.json_equality import same

# The public https://jsonlogic.com/tests.json, kept in the repository so every checkout runs the same suite.
SUITE = Path(__file__).resolve().parent / "conformance" / "jsonlogic-tests.json"


def load_suite() -> list[tuple[str, list]]:
    if not SUITE.exists():
        pytest.fail(
            f"the official JsonLogic suite is missing at {SUITE}; restore it from git",
            pytrace=False,
        )
    cases, section = [], "start"
    for item in json.loads(SUITE.read_text()):
        if isinstance(item, str):
            section = item.strip("# ").strip()
        else:
            cases.append((section, item))
    return cases


def compiled(logic: Any, data: Any) -> tuple[Any, bool]:
    """The compiled expression's answer, and whether it answered (else datalogic's)."""
    expression = compile_expression(logic)
    if expression.function is not None:
        try:
            return expression.function(data), True
        except Unsure:
            pass
    return evaluate(logic, data), False


@pytest.mark.parametrize("mode", ["interpreted", "compiled"])
def test_every_official_case_passes(mode: str) -> None:
    cases = load_suite()
    assert len(cases) > 250
    failures = []
    answered = 0
    for section, (logic, data, expected) in cases:
        try:
            if mode == "compiled":
                got, by_compiled = compiled(logic, data)
                answered += by_compiled
            else:
                got = evaluate(logic, data)
        except Exception as exc:  # a failure to report, not to stop at
            got = f"raised {exc!r}"
        if not same(got, expected):
            failures.append(
                f"[{section}] {json.dumps(logic)} with {json.dumps(data)}: expected {expected!r}, got {got!r}"
            )
    assert not failures, f"{len(failures)} of {len(cases)} failed:\n" + "\n".join(failures[:20])
    if mode == "compiled":  # the compiled operators' sections answer without datalogic
        assert answered > 100, answered


def test_a_bare_string_rule_is_a_string_literal() -> None:
    assert evaluate("apple", {}) == "apple"
    assert evaluate({"cat": ["a", "b"]}, None) == "ab"
    assert evaluate({"var": "x"}, {"x": "[1, 2]"}) == "[1, 2]"  # data strings stay strings
