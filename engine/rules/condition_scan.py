"""One walk of a JSON-logic condition: its depth, size and operations, each with its path and the
scope its `var`s read (the context, or the items of a list an iterator runs over).

Validation (engine/rules/validation.py) checks what the walk finds; `rules check`
(engine/rules/analysis/) reads the same operations.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from engine.rules import jsonlogic
from engine.rules.context import KNOWN_PATHS

MAX_CONDITION_NODES = 5000
ITERATORS = frozenset({"map", "filter", "all", "some", "none", "reduce"})
ANY_ITEM = "?"
"""The scope of an iterator's per-item argument over a list the context does not describe (an
open-ended field, a computed list, `reduce`'s current and accumulator): its reads are not checked."""


@dataclasses.dataclass
class Scan:
    """One walk of a condition: what check_condition needs, without walking it three times."""

    depth: int = 0
    """Nesting, the condition itself being 1 (stops growing once past jsonlogic.MAX_DEPTH)."""
    nodes: int = 0
    """Values in the condition (operators' arguments included)."""
    operations: list[tuple[str, str, Any, str | None]] = dataclasses.field(default_factory=list)
    """(path, operator, arguments, scope) for every one-key object, in document order. `scope` is
    None where `var` reads the context; inside the per-item argument of map/filter/all/some/none/
    reduce, where `var` reads the current item, it names the items (`message.attachments.N`), or
    is ANY_ITEM."""


def scan_condition(logic: Any, path: str) -> Scan:
    """Depth, size and operations of a condition, paths in `rules[0].if.and[1]` form.

    Without recursion, so any depth is safe; past the depth limit it stops (that problem is the one
    reported), and past the size limit it only measures depth.
    """
    scan = Scan()
    limit, max_nodes = jsonlogic.MAX_DEPTH, MAX_CONDITION_NODES
    # (value, path, scope, level, the scope of the per-item argument when these are an iterator's arguments)
    stack: list[tuple[Any, str, str | None, int, str | None]] = [(logic, path, None, 1, None)]
    while stack:
        node, at, scope, level, items = stack.pop()
        scan.nodes += 1
        if level > scan.depth:
            scan.depth = level
            if level > limit:
                return scan
        if isinstance(node, dict):
            if len(node) == 1 and scan.nodes <= max_nodes:
                op, args = next(iter(node.items()))
                scan.operations.append((at, op, args, scope))
            stack.extend(
                (
                    value,
                    f"{at}.{key}",
                    scope,
                    level + 1,
                    items_of(key, value, scope) if key in ITERATORS else None,
                )
                for key, value in reversed(node.items())
            )
        elif isinstance(node, list):
            stack.extend(
                (value, f"{at}[{i}]", items if items is not None and i > 0 else scope, level + 1, None)
                for i, value in reversed(list(enumerate(node)))
            )
    return scan


def items_of(op: str, args: Any, scope: str | None) -> str:
    """The scope of an iterator's per-item argument: the items of the context list its first
    argument reads (`message.attachments.N`), else ANY_ITEM."""
    first = args[0] if isinstance(args, list) and args else None
    name = first.get("var") if isinstance(first, dict) and len(first) == 1 else None
    name = name[0] if isinstance(name, list) and name else name
    if op == "reduce" or not isinstance(name, str) or scope == ANY_ITEM:
        return ANY_ITEM
    listed = ".".join(part for part in (scope, name) if part)
    items = ".".join("N" if part.isdigit() else part for part in listed.split(".")) + ".N"
    return items if any(p.startswith(f"{items}.") for p in KNOWN_PATHS) else ANY_ITEM
