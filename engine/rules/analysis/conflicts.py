"""Rules that can both act on one event and disagree: two priorities, two teams, two SLA policies
(the costliest to miss: a premium customer left on the standard one), or two automatic replies
(the acknowledgement window lets the first out and skips the second, which a rule test cannot
show: it checks what is decided, and both replies are).

A warning, not an error: the later action wins, which may be meant (a general rule, then a
specific one), but it is worth a look. Two rules are not reported when one of them has `stop`
with the other after it, when a `stop` rule before the later one (between them, or before both)
surely matches whenever both do, or when their conditions are proven disjoint on that event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from engine.rules.actions.kinds import Reply
from engine.rules.analysis.conditions import contradiction, implies
from engine.rules.analysis.findings import CONFLICTING_ACTIONS, Finding
from engine.rules.analysis.reachability import Budget, Conjuncts
from engine.rules.pack import Rule, RulePack

SETTERS = {"set_priority": "priority", "route": "team", "apply_sla": "SLA policy"}
"""Action kinds that set one value of the conversation, and what they set."""
PLURALS = {"priority": "priorities", "team": "teams", "SLA policy": "SLA policies"}
AUTO_REPLY = "automatic reply"


def _effects(rule: Rule, window: bool) -> dict[str, tuple[str, int]]:
    """What the rule sets -> (value, index of the action); a rule's last such action wins. With an
    acknowledgement window, its first automatic reply too (a second one is skipped whatever it says)."""
    found: dict[str, tuple[str, int]] = {}
    for k, action in enumerate(rule.then):
        if action.kind in SETTERS:
            found[SETTERS[action.kind]] = (str(action.describe()["value"]), k)
        elif window and isinstance(action, Reply) and action.auto and AUTO_REPLY not in found:
            found[AUTO_REPLY] = (action.template, k)
    return found


def conflicts(pack: RulePack, conjuncts: Conjuncts, budget: Budget) -> Iterator[Finding]:
    window = pack.settings.acknowledgement_window_minutes > 0
    effects = [_effects(rule, window) for rule in pack.rules]
    pairs: dict[tuple[int, int, str], list[str]] = {}
    for event in dict.fromkeys(e.value for r in pack.rules for e in r.on):
        listening = [i for i, r in enumerate(pack.rules) if event in {e.value for e in r.on}]
        for n, j in enumerate(listening):
            for what, (value, _) in effects[j].items():
                for i in listening[:n]:
                    earlier = effects[i].get(what)
                    same = earlier is not None and earlier[0] == value and what != AUTO_REPLY
                    if earlier is None or same or not budget.spend("conflicting actions"):
                        continue
                    if not _may_both_act(pack, conjuncts, listening, i, j, event):
                        continue
                    pairs.setdefault((i, j, what), []).append(event)
    for (i, j, what), events in pairs.items():
        first, second = pack.rules[i], pack.rules[j]
        (old, k), (new, m) = effects[i][what], effects[j][what]
        both = f"rules {first.id} and {second.id} can both match on {', '.join(events)}"
        was, here = f"{json.dumps(old)} (rules[{i}].then[{k}])", f"then {json.dumps(new)} here"
        if what == AUTO_REPLY:
            minutes = pack.settings.acknowledgement_window_minutes
            message = (
                f"{both} and send an automatic reply: {was}, {here}, which the acknowledgement window "
                f"({minutes:g} minutes) skips; add stop: true to the first, conditions that exclude each "
                "other, or auto: false to send both"
            )
        else:
            message = (
                f"{both} and set different {PLURALS[what]}: {was}, {here}, which wins; add stop: true to the "
                "first, or conditions that exclude each other"
            )
        yield Finding(
            severity="warning",
            code=CONFLICTING_ACTIONS,
            rules=[second.id, first.id],
            path=f"rules[{j}].then[{m}]",
            message=message,
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
    for k in listening:  # a stop rule before the later one (the earlier's or between them) that
        # surely matches whenever both do takes the event from one or both: they never both act
        if k < j and k != i and pack.rules[k].stop:
            between = conjuncts[k]
            if between is not None and implies(both, between, event):
                return False
    return True
