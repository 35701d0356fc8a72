"""Rules that can both act on one event and disagree: two priorities, or two teams.

A warning, not an error: the later action wins, which may be meant (a general rule, then a
specific one), but it is worth a look. Two rules are not reported when one of them has `stop`
with the other after it, when a `stop` rule between them surely matches whenever both do, or when
their conditions are proven disjoint on that event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from engine.rules.analysis.conditions import contradiction, implies
from engine.rules.analysis.findings import CONFLICTING_ACTIONS, Finding
from engine.rules.analysis.reachability import Budget, Conjuncts
from engine.rules.pack import Rule, RulePack

SETTERS = {"set_priority": "priority", "route": "team"}
"""Action kinds that set one value of the conversation, and what they set."""


def _effects(rule: Rule) -> dict[str, tuple[str, int]]:
    """What the rule sets -> (value, index of the action); a rule's last such action wins."""
    found: dict[str, tuple[str, int]] = {}
    for k, action in enumerate(rule.then):
        if action.kind in SETTERS:
            found[SETTERS[action.kind]] = (str(action.describe()["value"]), k)
    return found


def conflicts(pack: RulePack, conjuncts: Conjuncts, budget: Budget) -> Iterator[Finding]:
    effects = [_effects(rule) for rule in pack.rules]
    pairs: dict[tuple[int, int, str], list[str]] = {}
    for event in dict.fromkeys(e.value for r in pack.rules for e in r.on):
        listening = [i for i, r in enumerate(pack.rules) if event in {e.value for e in r.on}]
        for n, j in enumerate(listening):
            for what, (value, _) in effects[j].items():
                for i in listening[:n]:
                    earlier = effects[i].get(what)
                    if earlier is None or earlier[0] == value or not budget.spend("conflicting actions"):
                        continue
                    if not _may_both_act(pack, conjuncts, listening, i, j, event):
                        continue
                    pairs.setdefault((i, j, what), []).append(event)
    for (i, j, what), events in pairs.items():
        first, second = pack.rules[i], pack.rules[j]
        (old, k), (new, m) = effects[i][what], effects[j][what]
        plural = "priorities" if what == "priority" else "teams"
        yield Finding(
            severity="warning",
            code=CONFLICTING_ACTIONS,
            rules=[second.id, first.id],
            path=f"rules[{j}].then[{m}]",
            message=f"rules {first.id} and {second.id} can both match on {', '.join(events)} and set "
            f"different {plural}: {json.dumps(old)} (rules[{i}].then[{k}]), then {json.dumps(new)} here, "
            "which wins; add stop: true to the first, or conditions that exclude each other",
        )


def _may_both_act(
    pack: RulePack, conjuncts: Conjuncts, listening: list[int], i: int, j: int, event: str
) -> bool:
    if pack.rules[i].stop:
        return False
    first, second = conjuncts[i], conjuncts[j]
    if first is None or second is None:
        return True  # too large: nothing proven
    both = first + second
    if contradiction(both, event) is not None:
        return False
    for k in listening:
        if i < k < j and pack.rules[k].stop:
            between = conjuncts[k]
            if between is not None and implies(both, between, event):
                return False
    return True
