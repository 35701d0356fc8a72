"""Evaluating a condition as the engine does, noting which branches the evaluation took.

Why a second evaluation rather than counters in the decision path: a decision runs the rules
compiled to Python (engine/rules/event_code.py) and costs a few microseconds per rule; counters
there would be paid by every conversation to serve a report ops run now and then. Coverage instead
evaluates again, off that path, through the interpreted engine (datalogic), which the compiled path
is proven to agree with (the official JsonLogic suite and every pack's cases run through both,
tests/test_rule_compiler.py), and checks its result against the decision record of the same case.

How: the operators that choose what is evaluated (`and`, `or`, `if`, `!`, `!!`) are walked here with
JsonLogic's short-circuit order, and every leaf under them is evaluated by the engine whole, against
the same data handle the decision used. Truthiness inside a condition is the engine's, which is
Python's for every JSON value (`{}` false, `"0"` true; tests/test_rule_coverage.py checks it against
datalogic); the condition as a whole counts as matched with the decision record's own rule
(`jsonlogic.truthy`, where any object is true).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import datalogic_py

from engine.rules import jsonlogic
from engine.rules.coverage.branches import Branch, Node


class TraceFailed(Exception):
    """The engine refused a leaf: the decision record says the rule failed, and no branch counts."""


@dataclass
class Trace:
    """What one evaluation of a condition went through."""

    matched: bool = False
    taken: set[Branch] = field(default_factory=set)


class Tracer:
    """Traces one condition; its leaves are compiled once, on first use."""

    def __init__(self, root: Node) -> None:
        self.root = root
        self._compiled: dict[str, datalogic_py.Rule] = {}

    def trace(self, handle: datalogic_py.DataHandle) -> Trace:
        """The branches an evaluation against `handle` takes; TraceFailed if the engine fails on it."""
        trace = Trace()
        value = self._value(self.root, handle, trace)
        trace.matched = jsonlogic.truthy(value)
        trace.taken.add(Branch(self.root.path, trace.matched))
        return trace

    def _visit(self, node: Node, handle: datalogic_py.DataHandle, trace: Trace) -> Any:
        value = self._value(node, handle, trace)
        if node.decision:
            trace.taken.add(Branch(node.path, bool(value)))
        return value

    def _value(self, node: Node, handle: datalogic_py.DataHandle, trace: Trace) -> Any:
        if node.kind == "leaf":
            return self._leaf(node, handle)
        if node.kind in ("!", "!!"):
            truth = bool(self._visit(node.children[0], handle, trace))
            return not truth if node.kind == "!" else truth
        if node.kind == "if":
            return self._choice(node.children, handle, trace)
        # and / or: the first operand that settles it (falsy for and, truthy for or), else the last
        value: Any = None
        for operand in node.children:
            value = self._visit(operand, handle, trace)
            if bool(value) == (node.kind == "or"):
                return value
        return value

    def _choice(self, parts: tuple[Node, ...], handle: datalogic_py.DataHandle, trace: Trace) -> Any:
        """`if c0 v0 c1 v1 ... else`: the value of the first true condition, else the last part."""
        index = 0
        while index + 1 < len(parts):
            if self._visit(parts[index], handle, trace):
                return self._visit(parts[index + 1], handle, trace)
            index += 2
        return self._visit(parts[index], handle, trace) if index < len(parts) else None

    def _leaf(self, node: Node, handle: datalogic_py.DataHandle) -> Any:
        compiled = self._compiled.get(node.path)
        try:
            if compiled is None:
                compiled = self._compiled[node.path] = jsonlogic.compile_condition(node.logic)
            return compiled.evaluate_data(handle)
        except Exception as exc:
            raise TraceFailed(f"{node.path}: {type(exc).__name__}") from None
        except BaseException as exc:  # pyo3's PanicException derives from BaseException
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            raise TraceFailed(f"{node.path}: {type(exc).__name__}") from None
