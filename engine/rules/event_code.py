"""One generated function per event of a pack: every rule listening to it, in file order, inline.

The function builds the decision record as it goes, row by row in the shape history keeps
(`{"id", "outcome", "reads", "error"}`), so a decision costs the conditions plus one small dict per
rule. Generated as a syntax tree (see engine/rules/compiler.py for why): rule ids, read paths and
every other pack value are `ast.Constant` nodes.

    def decide(data, interpret, act):
        rows = []; acts = []
        g0 = _get(data, ("message", "text")); v0 = ...      # each context path once
        r0 = _read(data, ("message", "text"))                # the value the record shows
        try:
            o = "matched" if <condition 0> else "not_matched"; e = None
        except Exception:                                    # compiled_ops.Unsure, or anything:
            o, e = interpret(0)                              # datalogic decides this rule
        rows.append({"id": "tag-billing", "outcome": o, "reads": {"message.text": r0}, "error": e})
        if o == "matched":
            acts.extend(act(0))
            rows.extend(_not_reached(("next-rule", ...))); return rows, acts   # only for `stop`
        ...
        return rows, acts
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.rules import compiled_tree, compiler
from engine.rules.compiled_tree import AT, Reads, _assign, _call, _const, _name
from engine.rules.compiler import ConditionCompiler, NotCompiled

NAMED = "matched"


@dataclass(frozen=True)
class RulePlan:
    """What the generated code needs of one rule listening to the event."""

    index: int
    """Its position in the pack's table (for `interpret` and `act`)."""
    id: str
    condition: Any
    """JSON-logic, or None (always matches)."""
    reads: Sequence[str]
    """The paths its record shows, in the engine's order."""
    stop: bool


def event_tree(name: str, rules: Sequence[RulePlan]) -> tuple[ast.FunctionDef, int]:
    """The function for one event, and how many of its conditions were compiled."""
    reads = Reads()
    shown: dict[str, str] = {}
    read_sets: dict[tuple[str, ...], str] = {}
    body: list[ast.stmt] = [
        _assign("rows", ast.List(**AT, elts=[], ctx=ast.Load())),
        _assign("acts", ast.List(**AT, elts=[], ctx=ast.Load())),
    ]
    compiled = 0
    for position, rule in enumerate(rules):
        evaluation = _evaluation(rule, reads)
        compiled += evaluation is not None and rule.condition is not None
        body += reads.take()
        for path in rule.reads:
            if path not in shown:
                shown[path] = f"r{len(shown)}"
                parts = tuple(path.split("."))
                value = reads.known_value(parts)
                if value is not None and not any(p.isdigit() for p in parts):
                    # Through dict keys only, context.value_at reads what `var` read: keep it.
                    body.append(_assign(shown[path], _call("_small", _name(value))))
                else:
                    body.append(_assign(shown[path], _call("_read", _name("data"), _const(parts))))
        if rule.condition is None:
            body += [_assign("o", _const(NAMED)), _assign("e", _const(None))]
        elif evaluation is None:
            body.append(_interpret(rule.index))
        else:
            body.append(
                ast.Try(
                    **AT,
                    body=[_assign("o", evaluation), _assign("e", _const(None))],
                    handlers=[
                        ast.ExceptHandler(
                            **AT, type=_name("Exception"), name=None, body=[_interpret(rule.index)]
                        )
                    ],
                    orelse=[],
                    finalbody=[],
                )
            )
        path_set = tuple(rule.reads)
        if path_set not in read_sets:  # rules reading the same paths show the same values: one dict
            read_sets[path_set] = f"d{len(read_sets)}"
            values: list[ast.expr] = [_name(shown[p]) for p in path_set]
            body.append(
                _assign(
                    read_sets[path_set], ast.Dict(**AT, keys=[_const(p) for p in path_set], values=values)
                )
            )
        row = ast.Dict(
            **AT,
            keys=[_const("id"), _const("outcome"), _const("reads"), _const("error")],
            values=[_const(rule.id), _name("o"), _name(read_sets[path_set]), _name("e")],
        )
        body.append(ast.Expr(**AT, value=_method("rows", "append", row)))
        then: list[ast.stmt] = [
            ast.Expr(**AT, value=_method("acts", "extend", _call("act", _const(rule.index))))
        ]
        if rule.stop:
            later = tuple(r.id for r in rules[position + 1 :])
            if later:
                then.append(
                    ast.Expr(**AT, value=_method("rows", "extend", _call("_not_reached", _const(later))))
                )
            then.append(_return())
        matched = ast.Compare(**AT, left=_name("o"), ops=[ast.Eq()], comparators=[_const(NAMED)])
        body.append(ast.If(**AT, test=matched, body=then, orelse=[]))
    body.append(_return())
    arguments = ast.arguments(
        posonlyargs=[],
        args=[ast.arg(**AT, arg="data"), ast.arg(**AT, arg="interpret"), ast.arg(**AT, arg="act")],
        kwonlyargs=[],
        kw_defaults=[],
        defaults=[],
    )
    return ast.FunctionDef(
        **AT, name=name, args=arguments, body=body, decorator_list=[], returns=None
    ), compiled


def _evaluation(rule: RulePlan, reads: Reads) -> ast.expr | None:
    """`"matched" if <condition> else "not_matched"`, or None when datalogic keeps the rule."""
    if rule.condition is None:
        return _const(NAMED)
    if not compiler.within_budget(rule.condition):
        return None
    try:
        expr, is_bool = ConditionCompiler(reads, custom_operators=True).compile(rule.condition)
    except (NotCompiled, RecursionError):
        return None
    return ast.IfExp(
        **AT, test=compiled_tree.truthy_expr(expr, is_bool), body=_const(NAMED), orelse=_const("not_matched")
    )


def _interpret(index: int) -> ast.Assign:
    target = ast.Tuple(**AT, elts=[_name("o", store=True), _name("e", store=True)], ctx=ast.Store())
    return ast.Assign(**AT, targets=[target], value=_call("interpret", _const(index)))


def _method(owner: str, method: str, arg: ast.expr) -> ast.Call:
    return ast.Call(
        **AT,
        func=ast.Attribute(**AT, value=_name(owner), attr=method, ctx=ast.Load()),
        args=[arg],
        keywords=[],
    )


def _return() -> ast.Return:
    return ast.Return(**AT, value=ast.Tuple(**AT, elts=[_name("rows"), _name("acts")], ctx=ast.Load()))


Interpret = Callable[[int], tuple[str, str | None]]
Act = Callable[[int], list[dict[str, Any]]]
EventFunction = Callable[[Any, Interpret, Act], tuple[list[dict[str, Any]], list[dict[str, Any]]]]


def event_function(rules: Sequence[RulePlan], runtime: dict[str, Any]) -> tuple[EventFunction, int]:
    """The compiled function deciding one event, and how many of its conditions were compiled.

    `runtime` adds the record helpers (`_read`, `_not_reached`) to the operators it may call."""
    tree, compiled = event_tree("decide", rules)
    namespace = compiled_tree.build(
        [tree], {**compiled_tree.RUNTIME, **runtime, "__builtins__": compiled_tree.BUILTINS}
    )
    function: EventFunction = namespace["decide"]
    return function, compiled
