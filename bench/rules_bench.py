"""Decisions per second: the default pack and a 200-rule pack, against the same rules written by hand
as Python functions, in the same run (the ratio is the figure); and validation time of 200 rules.
"""

from __future__ import annotations

import time
from pathlib import Path

import datalogic_py
import yaml

from bench.timing import per_call_seconds
from engine.rules.context import RuleContext
from engine.rules.decision import CompiledPack
from engine.rules.pack import RulePack
from engine.rules.validation import validate
from engine.service.pack_files import load_source

ROOT = Path(__file__).resolve().parent.parent
CONTEXT = RuleContext.model_validate(
    {
        "event": {"type": "conversation.created", "time": "2026-11-23T10:00:00Z"},
        "conversation": {"id": "c-1", "channel": "email", "tags": ["new"]},
        "message": {"text": "Hello, I was charged twice on my last invoice and would like a refund please."},
        "customer": {"first_name": "Ada", "tier": "pro", "lifetime_value": 1200.0},
        "business_hours": {"open": True},
    }
)

BILLING = ["invoice", "refund", "charge", "billing", "payment", "subscription", "price"]
TECHNICAL = ["error", "bug", "crash", "login", "password", "not working", "broken"]


def default_by_hand(ctx: RuleContext) -> list[tuple]:
    """The default pack's conversation.created rules as plain Python."""
    text = ctx.message.text.casefold()
    if ctx.message.auto_submitted:
        return [("add_tags", ["automated"])]
    actions: list[tuple] = []
    actions.append(("reply", "acknowledgement" if ctx.business_hours.open else "acknowledgement_after_hours"))
    if ctx.customer.tier in ("vip", "enterprise"):
        actions += [("apply_sla", "vip"), ("set_priority", "high"), ("add_tags", ["vip"])]
    else:
        actions.append(("apply_sla", "standard"))
    if any(k in text for k in BILLING):
        return [*actions, ("add_tags", ["billing"]), ("route", "billing")]
    if any(k in text for k in TECHNICAL):
        return [*actions, ("add_tags", ["technical"]), ("route", "technical")]
    return [*actions, ("route", "general"), ("assign", "round_robin")]


def many_rules_pack(n: int) -> dict:
    rules = []
    for i in range(n):
        rules.append(
            {
                "id": f"rule-{i}",
                "on": ["conversation.created"],
                "if": {
                    "and": [
                        {"contains_any": [{"var": "message.text"}, [f"keyword{i}", f"phrase {i}"]]},
                        {"in": [{"var": "customer.tier"}, ["pro", "vip"]]},
                        {">": [{"var": "customer.lifetime_value"}, i * 10]},
                        {"var": "business_hours.open"},
                        {"!": {"in": [f"tag{i}", {"var": "conversation.tags"}]}},
                    ]
                },
                "then": [{"add_tags": [f"tag{i}"]}],
            }
        )
    return {"meta": {"name": "many"}, "rules": rules}


def many_by_hand(n: int):
    checks = [(f"keyword{i}", f"phrase {i}", i * 10, f"tag{i}") for i in range(n)]

    def decide(ctx: RuleContext) -> list[tuple]:
        text = ctx.message.text.casefold()
        out = []
        for kw, phrase, floor, tag in checks:
            if (
                (kw in text or phrase in text)
                and ctx.customer.tier in ("pro", "vip")
                and (ctx.customer.lifetime_value or 0) > floor
                and ctx.business_hours.open
                and tag not in ctx.conversation.tags
            ):
                out.append(("add_tags", [tag]))
        return out

    return decide


def main() -> None:
    pack, problems = validate(load_source(ROOT / "rule_packs" / "default"))
    assert not problems
    compiled = CompiledPack(pack)
    assert [a.action["type"] for a in compiled.decide(CONTEXT).actions] == [
        a[0] for a in default_by_hand(CONTEXT)
    ]
    engine_s = per_call_seconds(lambda: compiled.decide(CONTEXT), calls=5_000)
    hand_s = per_call_seconds(lambda: default_by_hand(CONTEXT), calls=50_000)
    print(
        f"default pack (8 rules on conversation.created): {1 / engine_s:10.0f} decisions/s; "
        f"by hand {1 / hand_s:10.0f}/s; engine is {engine_s / hand_s:.1f}x slower"
    )

    tmp = ROOT / "data" / "bench"
    tmp.mkdir(parents=True, exist_ok=True)
    pack_file = tmp / "many.yaml"
    pack_file.write_text(yaml.safe_dump(many_rules_pack(200)))
    started = time.perf_counter()
    many, problems = validate(load_source(pack_file))
    validate_s = time.perf_counter() - started
    assert not problems, problems[:3]
    started = time.perf_counter()
    many_compiled = CompiledPack(many)
    compile_s = time.perf_counter() - started
    by_hand = many_by_hand(200)
    engine_s = per_call_seconds(lambda: many_compiled.decide(CONTEXT), calls=300)
    hand_s = per_call_seconds(lambda: by_hand(CONTEXT), calls=3_000)
    print(
        f"200-rule pack:                                 {1 / engine_s:10.0f} decisions/s; "
        f"by hand {1 / hand_s:10.0f}/s; engine is {engine_s / hand_s:.1f}x slower"
    )
    handle_rules = [r.compiled for rules in many_compiled._by_event.values() for r in rules]

    def conditions_only() -> None:
        handle = datalogic_py.DataHandle(CONTEXT.to_data())
        for rule in handle_rules:
            rule.evaluate_data(handle)

    raw_s = per_call_seconds(conditions_only, calls=300)
    print(
        f"200-rule pack, conditions only (no record):    {1 / raw_s:10.0f} decisions/s; "
        f"engine is {raw_s / hand_s:.1f}x slower than by hand"
    )
    plain = many_rules_pack(200)
    for rule in plain["rules"]:  # the same rules with plain `in` instead of the custom operator
        kw = rule["if"]["and"][0]["contains_any"][1][0]
        rule["if"]["and"][0] = {"in": [kw, {"var": "message.text"}]}
    plain_compiled = CompiledPack(RulePack.model_validate(plain))
    plain_s = per_call_seconds(lambda: plain_compiled.decide(CONTEXT), calls=300)
    print(
        f"200-rule pack with plain `in` (no custom op):  {1 / plain_s:10.0f} decisions/s; "
        f"engine is {plain_s / hand_s:.1f}x slower than by hand"
    )
    print(f"200-rule pack: load + validate {validate_s * 1000:.0f} ms, compile {compile_s * 1000:.0f} ms")


if __name__ == "__main__":
    main()
