"""A policy's `pause_on` as the clocks take it: solved and closed stop them for good.

Solving or closing a conversation meets every clock (a breached one stays breached), and a reopen
starts a fresh resolution and response clock; pausing on those statuses pauses nothing. An ops lead
who wrote `pause_on: [pending, solved]` to "stop the clock while we wait for confirmation" got no
word that half of it means nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.rules.analysis.findings import PAUSE_ON_ENDED, Finding
from engine.rules.pack import RulePack

# The statuses that meet the clocks (workflows/conversation/status.py `_set_status`).
ENDING = ("solved", "closed")


def pause_findings(pack: RulePack) -> Iterator[Finding]:
    for name, policy in pack.sla_policies.items():
        for i, status in enumerate(policy.pause_on):
            if status in ENDING:
                yield Finding(
                    severity="warning",
                    code=PAUSE_ON_ENDED,
                    path=f"sla_policies.{name}.pause_on[{i}]",
                    message=f"{status} meets every clock of policy {name} (a breached one stays "
                    "breached), and a reopen starts fresh ones: pausing on it changes nothing (to "
                    "stop the clock while waiting on the customer, pause on pending or on_hold)",
                )
