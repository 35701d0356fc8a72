"""The branches of a rule's condition: which of its parts coverage counts, each true and false.

A condition is read as a tree of *decision points*, each with two branches (it was true, it was
false, by JsonLogic truthiness):

- the condition itself (`rules[6].if`): the rule matched, or did not;
- every operand of an `and` / `or` (`rules[6].if.or[1]`);
- every condition of an `if` / `?:` (`rules[3].if.if[0]`; an `if` with several conditions,
  `if c0 v0 c1 v1 else`, has them at 0, 2, ...);
- every comparison or other test (`==` `!=` `===` `!==` `<` `<=` `>` `>=` `in` `contains_any`
  `matches` `some` `all` `none` `!` `!!`) wherever it stands on the way to them.

Paths are the validator's (`rules[0].if.and[1]`), so a coverage report and a validation problem
name the same element the same way. The tree follows only the operators that choose what is
evaluated (`and`, `or`, `if`, `?:`, `!`, `!!`); anything else is a leaf the engine evaluates whole
(its operands are not branches: an iterator's arguments even read another scope). A test directly
under `!` or `!!` is not a point of its own: it is the negation's outcome turned round, and
counting it again would only double the figures.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

TESTS = frozenset(
    {"==", "!=", "===", "!==", "<", "<=", ">", ">=", "in", "contains_any", "matches", "some", "all", "none"}
)
"""Operators whose value is a yes or no about the context: each is a decision point."""
NEGATIONS = frozenset({"!", "!!"})
CHOICES = frozenset({"if", "?:"})
JUNCTIONS = frozenset({"and", "or"})

Kind = Literal["and", "or", "if", "!", "!!", "leaf"]


@dataclass(frozen=True, kw_only=True)
class Node:
    """One element of a condition on the evaluation's way: an operator coverage follows, or a leaf."""

    path: str
    """Where it stands, in the validator's form (`rules[2].if.or[1]`)."""
    logic: Any
    """The JSON-logic value of this element (a leaf's is what the engine evaluates)."""
    kind: Kind
    children: tuple[Node, ...] = ()
    """`and`/`or`: the operands; `if`: the arguments in order; `!`/`!!`: the one operand."""
    decision: bool = False
    """Whether its outcome is a decision point (two branches)."""


@dataclass(frozen=True, order=True)
class Branch:
    """One branch: a decision point and the outcome that takes it."""

    path: str
    outcome: bool

    def describe(self) -> str:
        return f"{self.path} {'true' if self.outcome else 'false'}"


def plan(logic: Any, path: str) -> Node:
    """The tree of a condition standing at `path` (a rule's is `rules[i].if`); its root is a point."""
    return _node(logic, path, decision=True)


def _operator(logic: Any) -> tuple[str, Any] | None:
    if isinstance(logic, dict) and len(logic) == 1:
        op, args = next(iter(logic.items()))
        return str(op), args
    return None


def _node(logic: Any, path: str, *, decision: bool, negated: bool = False) -> Node:
    found = _operator(logic)
    if found is None:
        return Node(path=path, logic=logic, kind="leaf", decision=decision)
    op, args = found
    at = f"{path}.{op}"
    if op in JUNCTIONS and isinstance(args, list) and args:
        operands = tuple(_node(a, f"{at}[{i}]", decision=True) for i, a in enumerate(args))
        junction: Kind = "and" if op == "and" else "or"
        return Node(path=path, logic=logic, kind=junction, children=operands, decision=decision)
    if op in CHOICES and isinstance(args, list) and args:
        last = len(args) - 1
        parts = tuple(
            # Conditions are at the even places before the last; values and the `else` are not
            # points themselves, only the tests inside them.
            _node(a, f"{at}[{i}]", decision=i % 2 == 0 and i < last)
            for i, a in enumerate(args)
        )
        return Node(path=path, logic=logic, kind="if", children=parts, decision=decision)
    if op in NEGATIONS and (not isinstance(args, list) or len(args) == 1):
        operand, where = (args[0], f"{at}[0]") if isinstance(args, list) else (args, at)
        child = _node(operand, where, decision=False, negated=True)
        kind: Kind = "!" if op == "!" else "!!"
        return Node(path=path, logic=logic, kind=kind, children=(child,), decision=decision or not negated)
    return Node(path=path, logic=logic, kind="leaf", decision=decision or (op in TESTS and not negated))


def points(root: Node) -> Iterator[Node]:
    """Every decision point of the tree, in document order."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.decision:
            yield node
        stack.extend(reversed(node.children))


def branches(root: Node) -> list[Branch]:
    """Both branches of every decision point, in document order (true first)."""
    return [Branch(p.path, outcome) for p in points(root) for outcome in (True, False)]
