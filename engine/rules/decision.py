"""Evaluating a pack for one event: a decision record that explains itself.

A `CompiledPack` compiles every condition once. `decide(context)` walks the rules listening to the
event in file order and records, for each, whether it matched, did not match, was not reached
(after a `stop`) or failed, with the context paths its condition read and their values, and then
the ordered actions. A failing condition (a type error, the operation budget) counts as not matched
and says why: a rule pack never crashes a conversation.

Two ways to the same record: the rules compiled to one Python function per event
(engine/rules/event_code.py), which sends any rule it cannot be sure of to datalogic; and datalogic
alone (`compiled=False`, and any context with values datalogic would rewrite, e.g. integers past 64
bits). The record is built as the plain rows history keeps, not as a model per rule: at 200 rules,
models were most of a decision's cost.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any, Literal

import datalogic_py
from pydantic import BaseModel, Field
from pydantic_core import to_json

from engine.rules import compiled_ops, jsonlogic
from engine.rules.context import RuleContext, value_at, value_at_parts
from engine.rules.event_code import EventFunction, RulePlan, event_function
from engine.rules.pack import Rule, RulePack

MAX_RECORDED_STRING = 200
MAX_RECORD_BYTES = 256 * 1024
"""The most a decision record takes encoded, as history keeps it (`bounded_record`). Temporal takes
at most 2 MB in one payload and a conversation's trail carries several records."""

Outcome = Literal["matched", "not_matched", "not_reached", "error"]


class RuleOutcome(BaseModel):
    """One rule's row of a decision record."""

    id: str
    outcome: Outcome
    reads: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class DecidedAction(BaseModel):
    """One action of a decision record, with the rule that decided it."""

    rule: str
    action: dict[str, Any]


class DecisionRecord(BaseModel):
    """The decision record's schema: what `Decision.model_dump(mode="json")` gives, field for field."""

    pack: str
    pack_hash: str
    event: str
    event_time: datetime
    rules: list[RuleOutcome] = Field(default_factory=list)
    actions: list[DecidedAction] = Field(default_factory=list)


class Decision:
    """What one event decided. `model_dump(mode="json")` is the record history keeps; `rules` and
    `actions` give the same rows as models, built when first read."""

    def __init__(
        self,
        *,
        pack: str,
        pack_hash: str,
        event: str,
        event_time: datetime,
        event_time_json: str,
        rows: list[dict[str, Any]],
        action_rows: list[dict[str, Any]],
    ) -> None:
        self.pack = pack
        self.pack_hash = pack_hash
        self.event = event
        self.event_time = event_time
        self._event_time_json = event_time_json
        self._rows = rows
        self._action_rows = action_rows

    def model_dump(self, *, mode: Literal["json", "python"] = "python") -> dict[str, Any]:
        """The record, as `Decision` was dumped when it was a pydantic model (same keys, same order).

        The rows are the decision's own (already JSON): read them, do not change them."""
        return {
            "pack": self.pack,
            "pack_hash": self.pack_hash,
            "event": self.event,
            "event_time": self._event_time_json if mode == "json" else self.event_time,
            "rules": list(self._rows),
            "actions": list(self._action_rows),
        }

    def model_dump_json(self, **options: Any) -> str:
        """The record as JSON, with pydantic's options (`exclude_defaults`, `indent`, ...)."""
        return DecisionRecord.model_validate(self.model_dump()).model_dump_json(**options)

    @cached_property
    def rules(self) -> list[RuleOutcome]:
        return [RuleOutcome.model_construct(**row) for row in self._rows]

    @cached_property
    def actions(self) -> list[DecidedAction]:
        return [DecidedAction.model_construct(**row) for row in self._action_rows]

    @property
    def matched(self) -> list[str]:
        return [row["id"] for row in self._rows if row["outcome"] == "matched"]


class _CompiledRule:
    __slots__ = ("actions", "compiled", "reads", "rule")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        # Described once: a decision copies them instead of serialising the action models again.
        self.actions = tuple(a.describe() for a in rule.then)
        self.compiled = None if rule.condition is None else jsonlogic.compile_condition(rule.condition)
        self.reads = [".".join(map(str, p)) for p in self.compiled.facts()["reads"]] if self.compiled else []


class CompiledPack:
    """A validated pack ready to decide; build once per pack version.

    `compiled=False` decides with datalogic alone: the reference the compiled functions are tested
    against (tests/test_rule_compiler.py).
    """

    def __init__(self, pack: RulePack, *, compiled: bool = True) -> None:
        self.pack = pack
        self.name = pack.meta.name
        self.hash = pack.content_hash
        self._rules = [_CompiledRule(rule) for rule in pack.rules]
        self._by_event: dict[str, list[int]] = {}
        for index, rule in enumerate(pack.rules):
            for event in rule.on:
                self._by_event.setdefault(event.value, []).append(index)
        self._compile = compiled
        self._functions: dict[str, EventFunction | None] = {}
        self._compiled_conditions: dict[str, int] = {}

    def _function(self, event: str) -> EventFunction | None:
        """The event's compiled function, built on its first decision (a pack tested once through
        the API never pays for the compiler; a worker pays once per event and pack hash)."""
        if event in self._functions or not self._compile or event not in self._by_event:
            return self._functions.get(event)
        plans = [
            RulePlan(
                i,
                self._rules[i].rule.id,
                self._rules[i].rule.condition,
                self._rules[i].reads,
                self._rules[i].rule.stop,
            )
            for i in self._by_event[event]
        ]
        # Two threads deciding the first event at once both build it: the same function.
        try:
            function, self._compiled_conditions[event] = event_function(plans, RUNTIME)
        except (
            RecursionError,
            MemoryError,
            ValueError,
            TypeError,
            SyntaxError,
        ):  # Python's compiler refused: datalogic
            self._functions[event] = None
            return None
        self._functions[event] = function
        return function

    @cached_property
    def reads(self) -> frozenset[str]:
        """Every context path some rule's condition reads."""
        return frozenset(path for rule in self._rules for path in rule.reads)

    @property
    def compiled_conditions(self) -> int:
        """How many rule conditions run compiled (building every event's function)."""
        for event in self._by_event:
            self._function(event)
        return sum(self._compiled_conditions.values())

    def decide(self, context: RuleContext) -> Decision:
        data = context.to_data()
        event = context.event.type.value
        function = self._function(event)
        datalogic = _Datalogic(self._rules, data)
        if function is not None and compiled_ops.context_is_plain(data):
            rows, actions = function(data, datalogic.outcome, self._actions)
        else:
            rows, actions = self._interpret(event, data, datalogic)
        return Decision(
            pack=self.name,
            pack_hash=self.hash,
            event=event,
            event_time=context.event.time,
            event_time_json=data["event"]["time"],
            rows=rows,
            action_rows=actions,
        )

    def _actions(self, index: int) -> list[dict[str, Any]]:
        rule = self._rules[index]
        return [{"rule": rule.rule.id, "action": dict(a)} for a in rule.actions]

    def _interpret(
        self, event: str, data: dict[str, Any], datalogic: _Datalogic
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Every rule through datalogic: the record the compiled functions must reproduce."""
        rows: list[dict[str, Any]] = []
        actions: list[dict[str, Any]] = []
        stopped = False
        seen: dict[str, Any] = {}  # rules read the same few paths: look each up once
        for index in self._by_event.get(event, []):
            item = self._rules[index]
            if stopped:
                rows.append({"id": item.rule.id, "outcome": "not_reached", "reads": {}, "error": None})
                continue
            reads = {}
            for path in item.reads:
                if path not in seen:
                    seen[path] = _read(data, path)
                reads[path] = seen[path]
            outcome, error = datalogic.outcome(index)
            rows.append({"id": item.rule.id, "outcome": outcome, "reads": reads, "error": error})
            if outcome == "matched":
                actions.extend(self._actions(index))
                stopped = item.rule.stop
        return rows, actions


class _Datalogic:
    """Datalogic's outcome for a rule, over a handle of the context made on first use."""

    __slots__ = ("_data", "_handle", "_rules")

    def __init__(self, rules: list[_CompiledRule], data: dict[str, Any]) -> None:
        self._rules = rules
        self._data = data
        self._handle: datalogic_py.DataHandle | None = None

    def outcome(self, index: int) -> tuple[Outcome, str | None]:
        item = self._rules[index]
        if item.compiled is None:
            return "matched", None
        if self._handle is None:
            self._handle = jsonlogic.data_handle(self._data)
        try:
            result = item.compiled.evaluate_data(self._handle)
        except Exception as exc:
            return "error", _reason(exc)
        except BaseException as exc:  # pyo3's PanicException derives from BaseException
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            return "error", f"evaluation aborted: {type(exc).__name__}"
        return ("matched" if jsonlogic.truthy(result) else "not_matched"), None


def _not_reached(ids: tuple[str, ...]) -> list[dict[str, Any]]:
    return [{"id": rule_id, "outcome": "not_reached", "reads": {}, "error": None} for rule_id in ids]


def _read(data: Any, path: str) -> Any:
    """The value a rule's record shows for a path it read."""
    return _small(value_at(data, path))


def _read_parts(data: Any, parts: tuple[str, ...]) -> Any:
    """`_read` of a path split once, at compile time."""
    return _small(value_at_parts(data, parts))


def _reason(exc: Exception) -> str:
    """Why a condition failed, as ops read it in a decision record: datalogic's messages may start
    with their kind already ("Thrown: Thrown: ...") and name a value that is not a number as JSON."""
    kind = getattr(exc, "error_type", None) or type(exc).__name__
    text = str(exc).removeprefix(f"{kind}: ").replace('{"type":"NaN"}', "a value that is not a number")
    return f"{kind}: {text}"[:300]


def _small(value: Any) -> Any:
    """Keep the record small: long strings are cut, big containers summarised, at every depth (a
    list's items too: 50 attachments with long names were ~11 KB in one read)."""
    if isinstance(value, str) and len(value) > MAX_RECORDED_STRING:
        return value[:MAX_RECORDED_STRING] + "…"
    if isinstance(value, list):
        kept = [_small(item) for item in value[:20]]
        return [*kept, f"… {len(value) - 20} more"] if len(value) > 20 else kept
    if isinstance(value, dict):
        return {k: _small(v) for k, v in list(value.items())[:20]}
    return value


def bounded_record(record: dict[str, Any]) -> dict[str, Any]:
    """`record` (a `Decision.model_dump(mode="json")`) as history keeps it: at most MAX_RECORD_BYTES.

    What each rule read is most of a large record, and every rule reading the same path repeats its
    value: 300 rules reading a message's 50 attachments made 2.7 MB, past Temporal's 2 MB payload
    limit, so one customer's email stopped its conversation. Past the bound the rows that did not
    match lose what they read, then, if that is not enough, every row; `reads_left_out` gives the
    bytes the whole record took. Outcomes and actions are always kept: they are the decision.
    """
    size = len(to_json(record))
    if size <= MAX_RECORD_BYTES:
        return record
    rows: list[dict[str, Any]] = record.get("rules") or []
    kept = [row if row.get("outcome") == "matched" else {**row, "reads": {}} for row in rows]
    bounded = {**record, "rules": kept, "reads_left_out": size}
    if len(to_json(bounded)) > MAX_RECORD_BYTES:
        bounded["rules"] = [{**row, "reads": {}} for row in rows]
    return bounded


RUNTIME = {"_read": _read_parts, "_small": _small, "_not_reached": _not_reached}
"""The record helpers generated functions call (besides compiled_tree.RUNTIME's operators)."""
