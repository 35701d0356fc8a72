"""Evaluating a pack for one event: a decision record that explains itself.

A `CompiledPack` compiles every condition once. `decide(context)` walks the rules listening to the
event in file order and records, for each, whether it matched, did not match, was not reached
(after a `stop`) or failed, with the context paths its condition read and their values, and then
the ordered actions. A failing condition (a type error, the operation budget) counts as not matched
and says why: a rule pack never crashes a conversation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import datalogic_py
from pydantic import BaseModel, Field

from engine.rules import jsonlogic
from engine.rules.context import RuleContext, value_at
from engine.rules.pack import Rule, RulePack

MAX_RECORDED_STRING = 200

Outcome = Literal["matched", "not_matched", "not_reached", "error"]


class RuleOutcome(BaseModel):
    id: str
    outcome: Outcome
    reads: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class DecidedAction(BaseModel):
    rule: str
    action: dict[str, Any]


class Decision(BaseModel):
    pack: str
    pack_hash: str
    event: str
    event_time: datetime
    rules: list[RuleOutcome] = Field(default_factory=list)
    actions: list[DecidedAction] = Field(default_factory=list)

    @property
    def matched(self) -> list[str]:
        return [r.id for r in self.rules if r.outcome == "matched"]


class _CompiledRule:
    __slots__ = ("actions", "compiled", "reads", "rule")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        # Described once: a decision copies them instead of serialising the action models again.
        self.actions = tuple(a.describe() for a in rule.then)
        self.compiled = None if rule.condition is None else jsonlogic.compile_condition(rule.condition)
        self.reads = [".".join(map(str, p)) for p in self.compiled.facts()["reads"]] if self.compiled else []


class CompiledPack:
    """A validated pack ready to decide; build once per pack version."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self.name = pack.meta.name
        self.hash = pack.content_hash
        self._by_event: dict[str, list[_CompiledRule]] = {}
        for rule in pack.rules:
            compiled = _CompiledRule(rule)
            for event in rule.on:
                self._by_event.setdefault(event.value, []).append(compiled)

    def decide(self, context: RuleContext) -> Decision:
        data = context.to_data()
        handle = datalogic_py.DataHandle(data)
        decision = Decision(
            pack=self.name, pack_hash=self.hash, event=context.event.type.value, event_time=context.event.time
        )
        stopped = False
        seen: dict[str, Any] = {}  # rules read the same few paths: look each up once
        for item in self._by_event.get(decision.event, []):
            rule = item.rule
            if stopped:
                decision.rules.append(
                    RuleOutcome.model_construct(id=rule.id, outcome="not_reached", reads={})
                )
                continue
            reads = {}
            for path in item.reads:
                if path not in seen:
                    seen[path] = _small(value_at(data, path))
                reads[path] = seen[path]
            outcome, error = _evaluate(item, handle)
            # model_construct: the values are ours, and validation would double the cost of a decision.
            decision.rules.append(
                RuleOutcome.model_construct(id=rule.id, outcome=outcome, reads=reads, error=error)
            )
            if outcome == "matched":
                decision.actions.extend(
                    DecidedAction.model_construct(rule=rule.id, action=dict(a)) for a in item.actions
                )
                stopped = rule.stop
        return decision


def _evaluate(item: _CompiledRule, handle: datalogic_py.DataHandle) -> tuple[Outcome, str | None]:
    if item.compiled is None:
        return "matched", None
    try:
        result = item.compiled.evaluate_data(handle)
    except Exception as exc:
        return "error", _reason(exc)
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return "error", f"evaluation aborted: {type(exc).__name__}"
    return ("matched" if jsonlogic.truthy(result) else "not_matched"), None


def _reason(exc: Exception) -> str:
    kind = getattr(exc, "error_type", None) or type(exc).__name__
    return f"{kind}: {exc}"[:300]


def _small(value: Any) -> Any:
    """Keep the record small: long strings are cut, big containers summarised."""
    if isinstance(value, str) and len(value) > MAX_RECORDED_STRING:
        return value[:MAX_RECORDED_STRING] + "…"
    if isinstance(value, list) and len(value) > 20:
        return [*value[:20], f"… {len(value) - 20} more"]
    if isinstance(value, dict):
        return {k: _small(v) for k, v in list(value.items())[:20]}
    return value
