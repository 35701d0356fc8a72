"""The generated code's building blocks: syntax-tree nodes, the context reads, and compiling a tree.

engine/rules/compiler.py (conditions) and engine/rules/event_code.py (one function per event) build
their trees from these; every node gets its position here and every name the generated code sees is
one of these (RUNTIME, BUILTINS, the locals Reads makes), so no text of a pack is ever code.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import Any, TypedDict

from engine.rules import compiled_ops as ops
from engine.rules.jsonlogic import truthy

# The names generated code sees besides its own locals: the operators and nothing else.
RUNTIME: dict[str, Any] = {
    "_get": ops.get,
    "_MISSING": ops.MISSING,
    "_eq": ops.eq,
    "_strict_eq": ops.strict_eq,
    "_lt": ops.lt,
    "_le": ops.le,
    "_gt": ops.gt,
    "_ge": ops.ge,
    "_in_": ops.in_,
    "_in_strings": ops.in_strings,
    "_casefolded": ops.casefolded,
    "_contains_any": ops.contains_any,
    "_matches": ops.matches,
    "_truthy": truthy,
}


class _Position(TypedDict):
    lineno: int
    col_offset: int


AT: _Position = {"lineno": 1, "col_offset": 0}
"""Where every generated node stands (one line: the code is never shown), set as nodes are made:
`ast.fix_missing_locations` was half of compiling a pack."""
BUILTINS = {
    "bool": bool,
    "type": type,
    "str": str,
    "dict": dict,
    "list": list,
    "len": len,
    "int": int,
    "float": float,
    "Exception": Exception,
}
"""The only builtins generated code can reach."""


def _name(identifier: str, store: bool = False) -> ast.Name:
    return ast.Name(**AT, id=identifier, ctx=ast.Store() if store else ast.Load())


def _call(function: str, *args: ast.expr) -> ast.Call:
    return ast.Call(**AT, func=_name(function), args=list(args), keywords=[])


def _const(value: Any) -> ast.Constant:
    return ast.Constant(**AT, value=value)


def _bool_op(op: ast.boolop, values: list[ast.expr]) -> ast.expr:
    """`a and b ...` (one operand is itself: Python's BoolOp needs two)."""
    return values[0] if len(values) == 1 else ast.BoolOp(**AT, op=op, values=values)


def _assign(target: str, value: ast.expr) -> ast.Assign:
    return ast.Assign(**AT, targets=[_name(target, store=True)], value=value)


class Reads:
    """The context lookups of one generated function, each done once, before the first rule that
    needs it (none of them raises: see compiled_ops.get and casefolded)."""

    def __init__(self) -> None:
        self.prelude: list[ast.stmt] = []
        """Lookups not yet placed: `take()` puts them before the rule that first needs them."""
        self._raw: dict[tuple[str, ...], str] = {}
        self._values: dict[tuple[str, ...], str] = {}
        self._folded: dict[tuple[str, ...], str] = {}
        self._is_text: dict[tuple[str, ...], str] = {}

    def raw(self, parts: tuple[str, ...]) -> str:
        """A local holding the value at `parts`, or MISSING."""
        if parts not in self._raw:
            name = self._raw[parts] = f"g{len(self._raw)}"
            self.prelude.append(_assign(name, _call("_get", _name("data"), _const(parts))))
        return self._raw[parts]

    def value(self, parts: tuple[str, ...]) -> str:
        """A local holding `{"var": path}`: the value, or null when it is missing."""
        if parts not in self._values:
            raw = self.raw(parts)
            name = self._values[parts] = f"v{len(self._values)}"
            missing = ast.Compare(**AT, left=_name(raw), ops=[ast.Is()], comparators=[_name("_MISSING")])
            self.prelude.append(
                _assign(name, ast.IfExp(**AT, test=missing, body=_const(None), orelse=_name(raw)))
            )
        return self._values[parts]

    def folded(self, parts: tuple[str, ...]) -> str:
        """A local holding the casefolded text at `parts`, for contains_any."""
        if parts not in self._folded:
            value = self.value(parts)
            name = self._folded[parts] = f"f{len(self._folded)}"
            self.prelude.append(_assign(name, _call("_casefolded", _name(value))))
        return self._folded[parts]

    def is_text(self, parts: tuple[str, ...]) -> str:
        """A local saying whether the casefolded value at `parts` is one string."""
        if parts not in self._is_text:
            folded = self.folded(parts)
            name = self._is_text[parts] = f"t{len(self._is_text)}"
            is_str = ast.Compare(
                **AT, left=_call("type", _name(folded)), ops=[ast.Is()], comparators=[_name("str")]
            )
            self.prelude.append(_assign(name, is_str))
        return self._is_text[parts]

    def known_value(self, parts: tuple[str, ...]) -> str | None:
        """The local already holding `{"var": path}` at `parts`, if a condition read it."""
        return self._values.get(parts)

    def take(self) -> list[ast.stmt]:
        taken, self.prelude = self.prelude, []
        return taken


def truthy_expr(expr: ast.expr, is_bool: bool) -> ast.expr:
    """JsonLogic truthiness of a condition's result (engine/rules/jsonlogic.truthy: Python's, but
    every object is true), inline: `(r := <expr>) or type(r) is dict`."""
    if is_bool:
        return expr
    held = ast.NamedExpr(**AT, target=_name("r", store=True), value=expr)
    is_dict = ast.Compare(**AT, left=_call("type", _name("r")), ops=[ast.Is()], comparators=[_name("dict")])
    return ast.BoolOp(**AT, op=ast.Or(), values=[held, is_dict])


def build(functions: Sequence[ast.FunctionDef], namespace: dict[str, Any]) -> dict[str, Any]:
    """Compile generated functions into `namespace` (which holds the runtime names they use)."""
    module = ast.Module(body=list(functions), type_ignores=[])
    code = compile(module, "<compiled rules>", "exec")
    exec(code, namespace)  # a tree of our own nodes: pack values only in ast.Constant
    return namespace
