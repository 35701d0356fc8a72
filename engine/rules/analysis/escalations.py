"""SLA escalation levels as a pack can run them: started by a rule, the later ones waiting their delay.

A policy's `escalations` do nothing by themselves: a rule's `escalate` action runs a level (usually
a rule `on: [sla.breached]` with `escalate: {level: 1}`), and each level after it comes at its own
business minutes after the breach. An ops lead who wrote levels and no such rule saw a breach
escalate nothing, with no word from `rules check`; one who gave the first level a delay saw it run
at the breach.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from engine.rules.actions.kinds import Escalate
from engine.rules.analysis.findings import (
    ESCALATION_BEFORE_EARLIER,
    ESCALATION_DELAY_IGNORED,
    ESCALATIONS_NEVER_RUN,
    Finding,
)
from engine.rules.context import EventType
from engine.rules.pack import RulePack


def escalation_findings(pack: RulePack) -> Iterator[Finding]:
    started: dict[int, list[str]] = {}
    for rule in pack.rules:
        for action in rule.then:
            if isinstance(action, Escalate):
                started.setdefault(action.level, []).append(rule.id)
    on_breach = any(
        EventType.SLA_BREACHED in rule.on and any(isinstance(a, Escalate) for a in rule.then)
        for rule in pack.rules
    )
    for name, policy in pack.sla_policies.items():
        if policy.escalations and not on_breach:
            # No rule escalates at all: a warning; only rules on other events do: said, not warned.
            yield Finding(
                severity="info" if started else "warning",
                code=ESCALATIONS_NEVER_RUN,
                path=f"sla_policies.{name}.escalations",
                message=(
                    f"no rule on sla.breached runs an escalation level: policy {name}'s levels run "
                    "only when a rule on another event escalates"
                    if started
                    else f"no rule runs an escalation level: policy {name}'s levels never run on a "
                    "breach (add a rule `on: [sla.breached]` with `escalate: {level: 1}`)"
                ),
            )
        for i, level in enumerate(policy.escalations):
            if level.after_breach_minutes and level.level in started:
                rules = started[level.level]
                yield Finding(
                    severity="warning",
                    code=ESCALATION_DELAY_IGNORED,
                    rules=rules,
                    path=f"sla_policies.{name}.escalations[{i}].after_breach_minutes",
                    message=f"level {level.level} runs when rule {rules[0]} escalates to it, not "
                    f"{level.after_breach_minutes:g} business minutes after the breach: only a level "
                    "that comes after another waits its delay (escalate to the level before it, or "
                    "set 0)",
                )
        by_level = sorted(enumerate(policy.escalations), key=lambda pair: pair[1].level)
        for (_, earlier), (i, level) in pairwise(by_level):
            # A level a rule escalates to runs at the breach, whatever its own delay says.
            due = 0 if earlier.level in started else earlier.after_breach_minutes
            if level.after_breach_minutes < due:
                yield Finding(
                    severity="warning",
                    code=ESCALATION_BEFORE_EARLIER,
                    path=f"sla_policies.{name}.escalations[{i}].after_breach_minutes",
                    message=f"level {level.level} is due {level.after_breach_minutes:g} business minutes "
                    f"after the breach, before level {earlier.level} ({due:g}): it runs at once when "
                    f"level {earlier.level} runs",
                )
