"""Rules that can never act: a condition that cannot be true on the rule's events, or an earlier
rule with `stop` that matches whenever this one would (so this one is never reached).

Both are proofs (engine/rules/analysis/conditions.py): a rule is reported only when no context of
that event could make it act. On all of its events that is an error (the rule is dead: surely not
what its author meant); on some of them, a warning naming those events.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from engine.rules.analysis.atoms import Atom
from engine.rules.analysis.conditions import Clash, contradiction, implies
from engine.rules.analysis.findings import NEVER_MATCHES, SHADOWED, TOO_LARGE, Finding, Severity
from engine.rules.pack import Rule, RulePack

Conjuncts = list[tuple[Atom, ...] | None]


@dataclass
class Budget:
    """Pairs of rules the analysis may still compare: a pack of thousands of rules stays bounded."""

    left: int
    exhausted: list[str] = field(default_factory=list)

    def spend(self, what: str) -> bool:
        self.left -= 1
        if self.left >= 0:
            return True
        if what not in self.exhausted:
            self.exhausted.append(what)
        return False


def _events(rule: Rule) -> list[str]:
    return list(dict.fromkeys(e.value for e in rule.on))


def _severity(hit: int, total: int) -> Severity:
    return "error" if hit == total else "warning"


def _on(events: list[str], rule: Rule) -> str:
    return "" if len(events) == len(_events(rule)) else f" on {', '.join(events)}"


def _why(clash: Clash, event: str) -> str:
    second = clash.second
    if second.op == "false":
        return "its condition is always false"
    if clash.first is None:
        return f"{second.text} is never true when deciding on {event}"
    return f"{second.text} contradicts {clash.first.text} ({clash.first.path})"


def dead_events(pack: RulePack, conjuncts: Conjuncts) -> dict[int, dict[str, Clash]]:
    """rule index -> {event: why its condition is never true there}."""
    dead: dict[int, dict[str, Clash]] = {}
    for i, rule in enumerate(pack.rules):
        atoms = conjuncts[i]
        if atoms is None:
            continue
        for event in _events(rule):
            if clash := contradiction(atoms, event):
                dead.setdefault(i, {})[event] = clash
    return dead


def never_matching(
    pack: RulePack, dead: dict[int, dict[str, Clash]], reported: set[str]
) -> Iterator[Finding]:
    """A finding per rule with dead events, unless `reported` already names its cause's path."""
    for i, events in dead.items():
        rule = pack.rules[i]
        event, clash = next(iter(events.items()))
        if clash.second.path in reported and clash.first is None:
            continue  # an impossible value, reported at that comparison
        yield Finding(
            severity=_severity(len(events), len(_events(rule))),
            code=NEVER_MATCHES,
            rules=[rule.id],
            path=clash.second.path,
            message=f"never matches{_on(list(events), rule)}: {_why(clash, event)}",
        )


def shadowed(
    pack: RulePack, conjuncts: Conjuncts, dead: dict[int, dict[str, Clash]], budget: Budget
) -> Iterator[Finding]:
    """Rules an earlier `stop` rule always takes the event from."""
    stops: dict[str, list[int]] = {}
    for j, rule in enumerate(pack.rules):
        covered: dict[str, int] = {}
        for event in _events(rule):
            if event in dead.get(j, {}):
                continue
            for i in stops.get(event, []):
                earlier, later = conjuncts[i], conjuncts[j]
                if earlier is None or not budget.spend("shadowed rules"):
                    continue
                if earlier == () or (later is not None and implies(later, earlier, event)):
                    covered[event] = i
                    break
        if rule.stop:
            for event in _events(rule):
                stops.setdefault(event, []).append(j)
        if not covered:
            continue
        first = pack.rules[next(iter(covered.values()))]
        index = next(iter(covered.values()))
        yield Finding(
            severity=_severity(len(covered), len(_events(rule))),
            code=SHADOWED,
            rules=[rule.id, first.id],
            path=f"rules[{j}]",
            message=f"never runs{_on(list(covered), rule)}: rule {first.id} (rules[{index}]) comes "
            "first, has stop: true and matches whenever this one would",
        )


def too_large(pack: RulePack, conjuncts: Conjuncts, budget: Budget) -> Iterator[Finding]:
    for i, rule in enumerate(pack.rules):
        if conjuncts[i] is None:
            yield Finding(
                severity="info",
                code=TOO_LARGE,
                rules=[rule.id],
                path=f"rules[{i}].if",
                message="condition too large to analyse: not checked for contradictions, shadowing "
                "or conflicts",
            )
    for what in budget.exhausted:
        yield Finding(
            severity="info",
            code=TOO_LARGE,
            path="rules",
            message=f"pack too large to analyse fully: {what} were checked only for the first rules",
        )
