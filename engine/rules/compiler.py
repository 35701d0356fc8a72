"""JSON-logic conditions compiled to Python functions, built as syntax trees, never as source text.

Why: datalogic evaluates one rule per native call over a handle of the context, and a helpdesk
operator round-trips its arguments through JSON on every call; a pack of 200 rules then costs
100 times the same rules written in Python. A pack is compiled once per hash into one function per
event that reads each context path once, casefolds each text once and evaluates every condition
inline (engine/rules/decision.py runs it).

Why `ast`: every value from the pack (paths, strings, keywords, patterns, rule ids) enters the tree
as an `ast.Constant`; the only names are the ones this module makes. No text of a pack is ever
parsed or formatted as Python, so no string in a pack can become code.

What is compiled: literals, `var` with a literal path (and default), `==` `!=` `===` `!==`, `<`
`<=` `>` `>=` (two or three operands), `!` `!!` `and` `or` `if`, `in`, `contains_any` with literal
keywords and `matches` with a literal pattern. Anything else (arithmetic, string and array
operators, iterators with their per-item scope, `missing`, error handling) leaves the whole rule to
datalogic, as does a rule whose `in` operations could approach the engine's operation budget. At run
time an operand the compiled code is not sure of (engine/rules/compiled_ops.py) sends the rule back
to datalogic too: the compiled path only ever answers where it gives datalogic's answer.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.rules import compiled_ops as ops
from engine.rules.compiled_tree import (
    AT,
    BUILTINS,
    RUNTIME,
    Reads,
    _bool_op,
    _call,
    _const,
    _name,
    build,
)
from engine.rules.folding import fold
from engine.rules.jsonlogic import OPS_BUDGET

BOOL_OPS = {"==": "eq", "===": "strict_eq", "<": "lt", "<=": "le", ">": "gt", ">=": "ge", "in": "in_"}
NEGATED = {"!=": "eq", "!==": "strict_eq"}
CHAINED = {"<", "<="}
ORDERINGS: dict[str, type[ast.cmpop]] = {
    "<": ast.Lt,
    "<=": ast.LtE,
    ">": ast.Gt,
    ">=": ast.GtE,
}  # the engine chains these over three operands
CUSTOM = {"contains_any", "matches"}
# Each `in` over a context value may charge up to ~1,000 operations (compiled_ops.MAX_IN_*); rules
# that could add up to the budget stay with the engine, which meters them.
IN_CHARGE = 1_100
MAX_INDEX_DIGITS = 18
MAX_UNROLLED_KEYWORDS = 32


class NotCompiled(Exception):
    """This condition (or a part of it) is left to datalogic."""


class ConditionCompiler:
    """One JSON-logic value -> (Python expression, whether it always gives a bool)."""

    def __init__(self, reads: Reads, *, custom_operators: bool) -> None:
        self.reads = reads
        self.custom_operators = custom_operators

    def compile(self, logic: Any) -> tuple[ast.expr, bool]:
        if logic is None or isinstance(logic, str | bool):
            return _const(logic), isinstance(logic, bool)
        if isinstance(logic, int):
            if abs(logic) > ops.EXACT_INT:
                raise NotCompiled("a large integer literal")
            return _const(logic), False
        if isinstance(logic, float):
            if logic != logic or logic in (float("inf"), float("-inf")):
                raise NotCompiled("a non-finite literal")
            return _const(logic), False
        if isinstance(logic, list):
            return ast.List(**AT, elts=[self.compile(item)[0] for item in logic], ctx=ast.Load()), False
        if isinstance(logic, dict) and len(logic) == 1:
            op, args = next(iter(logic.items()))
            return self.operator(op, args)
        raise NotCompiled("not an operation")

    def operator(self, op: str, args: Any) -> tuple[ast.expr, bool]:
        if op == "var":
            return self.var(args), False
        if op in CUSTOM:
            if not self.custom_operators:
                raise NotCompiled(op)
            return (self.contains_any(args) if op == "contains_any" else self.matches(args)), True
        if op in ("!", "!!"):
            return self.negation(op, args), True
        if op in ("and", "or"):
            if not isinstance(args, list):
                raise NotCompiled(f"{op} without an array")
            if not args:
                return _const(None), False
            parts = [self.compile(a) for a in args]
            expr = _bool_op(ast.And() if op == "and" else ast.Or(), [p[0] for p in parts])
            return expr, all(p[1] for p in parts)
        if op == "if":
            return self.conditional(args)
        if op in BOOL_OPS or op in NEGATED:
            return self.comparison(op, args), True
        raise NotCompiled(op)

    def var(self, args: Any) -> ast.expr:
        default: Any = None
        has_default = False
        if isinstance(args, list):
            if len(args) > 2:
                raise NotCompiled("var with more than a default")
            if len(args) == 2:
                default, has_default = args[1], True
            args = args[0] if args else None
        if args is None or args == "":
            if has_default:
                raise NotCompiled("a default for the whole data")
            return _name("data")
        if isinstance(args, int) and not isinstance(args, bool):
            args = str(args)
        if not isinstance(args, str):
            raise NotCompiled("a computed path")
        parts = tuple(args.split("."))
        for part in parts:
            # "+1" and "\." mean something to the engine; a huge index is not worth copying.
            if part.startswith("+") or "\\" in part or (part.isdigit() and len(part) > MAX_INDEX_DIGITS):
                raise NotCompiled("an unusual path")
        if not has_default:
            return _name(self.reads.value(parts))
        fallback = self.compile(default)[0]
        raw = _name(self.reads.raw(parts))
        missing = ast.Compare(**AT, left=raw, ops=[ast.Is()], comparators=[_name("_MISSING")])
        return ast.IfExp(**AT, test=missing, body=fallback, orelse=_name(self.reads.raw(parts)))

    def negation(self, op: str, args: Any) -> ast.expr:
        if isinstance(args, list):
            if not args:
                return _const(op == "!")
            if len(args) != 1:
                raise NotCompiled(f"{op} with several operands")
            args = args[0]
        operand = self.compile(args)[0]
        if op == "!":
            return ast.UnaryOp(**AT, op=ast.Not(), operand=operand)
        return _call("bool", operand)

    def conditional(self, args: Any) -> tuple[ast.expr, bool]:
        if not isinstance(args, list):
            raise NotCompiled("if without an array")
        if not args:
            return _const(None), False
        compiled = [self.compile(a) for a in args]
        exprs = [c[0] for c in compiled]
        if len(exprs) % 2 == 0:
            exprs.append(_const(None))
            compiled.append((exprs[-1], False))
        result, is_bool = exprs[-1], compiled[-1][1]
        for i in range(len(exprs) - 3, -1, -2):  # if c0 v0 c1 v1 ... else, from the end
            result = ast.IfExp(**AT, test=exprs[i], body=exprs[i + 1], orelse=result)
            is_bool = is_bool and compiled[i + 1][1]
        return result, is_bool

    def comparison(self, op: str, args: Any) -> ast.expr:
        if not isinstance(args, list) or not (len(args) == 2 or (len(args) == 3 and op in CHAINED)):
            raise NotCompiled(f"{op} with other than two operands")
        if op == "in" and _literal_strings(args[1]):
            needle, strings = self.compile(args[0])[0], _const(frozenset(args[1]))
            general = _call("_in_strings", needle, strings)
            return _when_text(
                needle, ast.Compare(**AT, left=needle, ops=[ast.In()], comparators=[strings]), general
            )
        operands = [self.compile(a)[0] for a in args]
        if op == "in" and isinstance(args[0], str) and _literal_strings([args[0]]):
            # A tag check, `"vip" in tags`: a list of no more than MAX_IN_ITEMS compares inline.
            hay = operands[1]
            inline = ast.Compare(**AT, left=operands[0], ops=[ast.In()], comparators=[hay])
            return _when_list(hay, inline, _call("_in_", *operands))
        if op in ("==", "!=") and len(args) == 2:
            equal = self.equality(operands, args)
            return ast.UnaryOp(**AT, op=ast.Not(), operand=equal) if op == "!=" else equal
        if op in NEGATED:
            return ast.UnaryOp(**AT, op=ast.Not(), operand=_call(f"_{NEGATED[op]}", *operands))
        if op in ORDERINGS:
            pairs = [(0, 1)] if len(operands) == 2 else [(0, 1), (1, 2)]  # a < b < c: b is pure
            tests = [self.ordering(op, operands[i], operands[j], args[i], args[j]) for i, j in pairs]
            return _bool_op(ast.And(), tests)
        return _call(f"_{BOOL_OPS[op]}", *operands)

    def ordering(self, op: str, left: ast.expr, right: ast.expr, left_arg: Any, right_arg: Any) -> ast.expr:
        """`<` and the like; a number against a number literal compares inline."""
        general = _call(f"_{BOOL_OPS[op]}", left, right)
        for value, literal in ((left, right_arg), (right, left_arg)):
            if _exact_number(literal) and isinstance(value, ast.Name):
                is_float = ast.Compare(
                    **AT, left=_call("type", value), ops=[ast.Is()], comparators=[_name("float")]
                )
                is_int = ast.Compare(
                    **AT, left=_call("type", value), ops=[ast.Is()], comparators=[_name("int")]
                )
                exact = ast.Compare(
                    **AT,
                    left=_const(-ops.EXACT_INT),
                    ops=[ast.LtE(), ast.LtE()],
                    comparators=[value, _const(ops.EXACT_INT)],
                )
                number = _bool_op(ast.Or(), [is_float, _bool_op(ast.And(), [is_int, exact])])
                inline = ast.Compare(**AT, left=left, ops=[ORDERINGS[op]()], comparators=[right])
                return ast.IfExp(**AT, test=number, body=inline, orelse=general)
        return general

    def equality(self, operands: list[ast.expr], args: list[Any]) -> ast.expr:
        """Loose `==`; against a string literal that cannot be a date, a string compares inline."""
        general = _call("_eq", *operands)
        for value, literal in ((operands[0], args[1]), (operands[1], args[0])):
            if isinstance(literal, str) and _literal_strings([literal]):
                inline = ast.Compare(**AT, left=value, ops=[ast.Eq()], comparators=[_const(literal)])
                return _when_text(value, inline, general)
        return general

    def contains_any(self, args: Any) -> ast.expr:
        if not isinstance(args, list) or len(args) != 2:
            raise NotCompiled("contains_any without two operands")
        text, keywords = args
        needles = keywords if isinstance(keywords, list) else [keywords]
        if not all(n is None or isinstance(n, str) for n in needles):
            raise NotCompiled("contains_any with keywords that are not strings")
        folded_keywords = tuple(dict.fromkeys(fold(n) for n in needles if n))
        if not _is_plain_var(text):
            return _call(
                "_contains_any", _call("_casefolded", self.compile(text)[0]), _const(folded_keywords)
            )
        parts = _var_parts(text)
        folded = _name(self.reads.folded(parts))
        general = _call("_contains_any", folded, _const(folded_keywords))
        if not folded_keywords or len(folded_keywords) > MAX_UNROLLED_KEYWORDS:
            return general
        # The usual case, a text: `"refund" in text or "invoice" in text ...`, with no call.
        unrolled = _bool_op(
            ast.Or(),
            [
                ast.Compare(**AT, left=_const(k), ops=[ast.In()], comparators=[_name(folded.id)])
                for k in folded_keywords
            ],
        )
        return ast.IfExp(**AT, test=_name(self.reads.is_text(parts)), body=unrolled, orelse=general)

    def matches(self, args: Any) -> ast.expr:
        if not isinstance(args, list) or len(args) != 2 or not isinstance(args[1], str):
            raise NotCompiled("matches without a literal pattern")
        return _call("_matches", self.compile(args[0])[0], _const(args[1]))


def _when_text(value: ast.expr, inline: ast.expr, general: ast.expr) -> ast.expr:
    """`inline if type(value) is str else general` for a local (anything else: `general`)."""
    if not isinstance(value, ast.Name):
        return general
    is_text = ast.Compare(**AT, left=_call("type", value), ops=[ast.Is()], comparators=[_name("str")])
    return ast.IfExp(**AT, test=is_text, body=inline, orelse=general)


def _when_list(value: ast.expr, inline: ast.expr, general: ast.expr) -> ast.expr:
    """`inline if type(value) is list and len(value) <= MAX_IN_ITEMS else general` for a local."""
    if not isinstance(value, ast.Name):
        return general
    is_list = ast.Compare(**AT, left=_call("type", value), ops=[ast.Is()], comparators=[_name("list")])
    small = ast.Compare(
        **AT, left=_call("len", value), ops=[ast.LtE()], comparators=[_const(ops.MAX_IN_ITEMS)]
    )
    test = ast.BoolOp(**AT, op=ast.And(), values=[is_list, small])
    return ast.IfExp(**AT, test=test, body=inline, orelse=general)


def _exact_number(value: Any) -> bool:
    """A number literal Python and the engine compare alike against any finite float or exact int."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return -ops.EXACT_INT <= value <= ops.EXACT_INT


def _literal_strings(value: Any) -> bool:
    """A literal array of strings that cannot be dates or durations: `in` may test a frozenset."""
    return isinstance(value, list) and all(isinstance(v, str) and not v[:1].isdigit() for v in value)


def _is_plain_var(logic: Any) -> bool:
    if not (isinstance(logic, dict) and len(logic) == 1 and "var" in logic):
        return False
    path = logic["var"]
    if isinstance(path, list):
        if len(path) != 1:
            return False
        path = path[0]
    return isinstance(path, str) and path != ""


def _var_parts(logic: dict[str, Any]) -> tuple[str, ...]:
    path = logic["var"]
    return tuple((path[0] if isinstance(path, list) else path).split("."))


def within_budget(logic: Any) -> bool:
    """Whether the compiled rule stays far enough below the engine's operation budget.

    Every node may charge an operation; each `in` over a context value up to IN_CHARGE (its operands
    are capped at run time). Past half the budget the engine keeps the rule and meters it.
    """
    nodes, scans, stack = 0, 0, [logic]
    while stack:
        item = stack.pop()
        nodes += 1
        if isinstance(item, dict):
            args = item.get("in")
            if args is not None and not (isinstance(args, list) and args and _literal_strings(args[-1])):
                scans += 1
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return nodes + scans * IN_CHARGE <= OPS_BUDGET // 2


@dataclass(frozen=True)
class Expression:
    """A compiled JSON-logic value, for plain evaluation (the official suite runs through it)."""

    function: Callable[[Any], Any] | None
    """`function(data)`, or None when the value is left to datalogic."""
    reason: str | None = None


def compile_expression(logic: Any, *, custom_operators: bool = False) -> Expression:
    """One JSON-logic value as `function(data) -> value`; raises `ops.Unsure` where it is not sure."""
    reads = Reads()
    try:
        expr, _ = ConditionCompiler(reads, custom_operators=custom_operators).compile(logic)
    except NotCompiled as exc:
        return Expression(None, str(exc))
    body: list[ast.stmt] = [*reads.prelude, ast.Return(**AT, value=expr)]
    function = ast.FunctionDef(
        **AT,
        name="expression",
        args=ast.arguments(
            posonlyargs=[], args=[ast.arg(**AT, arg="data")], kwonlyargs=[], kw_defaults=[], defaults=[]
        ),
        body=body,
        decorator_list=[],
        returns=None,
    )
    namespace = build([function], {**RUNTIME, "__builtins__": BUILTINS})
    return Expression(namespace["expression"])
