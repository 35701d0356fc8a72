"""Decisions per second of rule packs against the same rules written by hand as Python functions,
in the same run (the ratio is the figure): the default pack, and a realistic 200-rule pack
(bench/realistic_pack.py) compiled and, for reference, through datalogic alone. Each round decides
several contexts (events and texts); the pack's actions are checked against the hand-written ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from bench.realistic_pack import CONTEXTS, by_hand, realistic_pack
from bench.results import Result
from bench.timing import per_call_seconds
from engine.rules.context import RuleContext
from engine.rules.decision import CompiledPack
from engine.rules.validation import validate
from engine.service.pack_files import load_source

ROOT = Path(__file__).resolve().parent.parent
CREATED = [c for c in CONTEXTS if c.event.type == "conversation.created"]

BILLING = ["invoice", "refund", "charge", "billing", "payment", "subscription", "price"]
TECHNICAL = ["error", "bug", "crash", "login", "password", "not working", "broken"]


class _NoAliases(yaml.SafeDumper):
    """Writes shared values out each time, as a person would (the loader limits aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def default_by_hand(ctx: RuleContext) -> list[tuple[str, Any]]:
    """The default pack's conversation.created rules as plain Python."""
    text = ctx.message.text.casefold()
    if ctx.message.auto_submitted:
        return [("add_tags", ["automated"])]
    actions: list[tuple[str, Any]] = []
    actions.append(("reply", "acknowledgement" if ctx.business_hours.open else "acknowledgement_after_hours"))
    if ctx.customer.tier in ("vip", "enterprise"):
        actions += [("apply_sla", "vip"), ("set_priority", "high"), ("add_tags", ["vip"])]
    else:
        actions.append(("apply_sla", "standard"))
    if any(k in text for k in BILLING):
        return [*actions, ("add_tags", ["billing"]), ("route", "billing"), ("assign", "by_language")]
    if any(k in text for k in TECHNICAL):
        return [*actions, ("add_tags", ["technical"]), ("route", "technical"), ("assign", "by_language")]
    return [*actions, ("route", "general"), ("assign", "by_language")]


def decisions_per_second(
    decide: Callable[[RuleContext], object], contexts: Sequence[RuleContext], calls: int
) -> float:
    def every_context() -> None:
        for context in contexts:
            decide(context)

    return len(contexts) / per_call_seconds(every_context, calls=calls)


def paired(
    engine: Callable[[RuleContext], object],
    hand: Callable[[RuleContext], object],
    contexts: Sequence[RuleContext],
    calls: tuple[int, int],
    rounds: int = 9,
) -> tuple[float, float]:
    """Decisions/s of the engine and of the hand-written function, measured in alternating rounds
    (best of each): other work on the machine then weighs on both alike."""
    best_engine = best_hand = 0.0
    for _ in range(rounds):
        best_engine = max(best_engine, decisions_per_second(engine, contexts, calls[0]))
        best_hand = max(best_hand, decisions_per_second(hand, contexts, calls[1]))
    return best_engine, best_hand


def main() -> list[Result]:
    rows: list[Result] = []
    pack, problems = validate(load_source(ROOT / "rule_packs" / "default"))
    assert pack is not None and not problems
    compiled = CompiledPack(pack)
    for context in CREATED:
        decided = [a.action["type"] for a in compiled.decide(context).actions]
        assert decided == [a[0] for a in default_by_hand(context)], decided
    engine, hand = paired(compiled.decide, default_by_hand, CREATED, calls=(300, 3_000))
    rows.append(Result("rules: default pack", engine, "decisions/s", baseline=hand))

    tmp = ROOT / "data" / "bench"
    tmp.mkdir(parents=True, exist_ok=True)
    pack_file = tmp / "realistic.yaml"
    pack_file.write_text(yaml.dump(realistic_pack(200), Dumper=_NoAliases, allow_unicode=True))
    started = time.perf_counter()
    realistic, problems = validate(load_source(pack_file))
    validate_s = time.perf_counter() - started
    assert realistic is not None and not problems, problems[:3]
    started = time.perf_counter()
    realistic_compiled = CompiledPack(realistic)
    assert realistic_compiled.compiled_conditions == 200  # builds every event's function
    compile_s = time.perf_counter() - started
    interpreted = CompiledPack(realistic, compiled=False)
    hand_decide = by_hand(200)
    for context in CONTEXTS:
        decision = realistic_compiled.decide(context)
        assert decision.model_dump(mode="json") == interpreted.decide(context).model_dump(mode="json")
        assert [a.action for a in decision.actions] == hand_decide(context), context.event.type
    matched = [len(realistic_compiled.decide(c).matched) for c in CONTEXTS]
    print(
        f"realistic pack: {realistic_compiled.compiled_conditions} of 200 conditions compiled; rules "
        f"matched per context {matched}; load + validate {validate_s * 1000:.0f} ms, "
        f"compile {compile_s * 1000:.0f} ms"
    )
    engine, hand = paired(realistic_compiled.decide, hand_decide, CONTEXTS, calls=(60, 60))
    slow, _ = paired(interpreted.decide, hand_decide, CONTEXTS, calls=(4, 60), rounds=3)
    rows.append(
        Result("rules: realistic 200-rule pack", engine, "decisions/s", baseline=hand, goal=">= 0.5x")
    )
    rows.append(Result("rules: realistic 200-rule pack, datalogic only", slow, "decisions/s", baseline=hand))
    return rows


if __name__ == "__main__":
    from bench.results import table

    print(table(main()))
