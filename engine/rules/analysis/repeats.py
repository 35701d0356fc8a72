"""Rules that act twice on a conversation's first message.

A customer's first message raises `conversation.created`, then `message.received`: a rule listening to
both matches on each, so what it sends goes out twice (two notifications to the team, two CRM notes,
two webhook calls), where an ops person meant "each message". An `escalate` runs its level's actions
on each run too (a policy's level that notifies the leads notifies them twice). Tags, priorities and
routes set twice change nothing, and an automatic reply inside the acknowledgement window is sent
once: those are not reported. A rule whose condition reads `event.type` tells the two events apart
itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from engine.rules.actions import Action
from engine.rules.actions.kinds import AddNote, CallWebhook, Escalate, Notify, Reply
from engine.rules.analysis.findings import TWICE_ON_FIRST_MESSAGE, Finding
from engine.rules.context import EventType
from engine.rules.pack import RulePack

BOTH = frozenset({EventType.CONVERSATION_CREATED, EventType.MESSAGE_RECEIVED})


def _sent_twice(actions: Sequence[Action], window: bool, sending_levels: set[int]) -> list[str]:
    """The kinds of the actions a second run sends again."""
    kinds = []
    for action in actions:
        once = isinstance(action, Reply) and action.auto and window
        if isinstance(action, Notify | AddNote | CallWebhook | Reply) and not once:
            kinds.append(action.kind)
        elif isinstance(action, Escalate) and action.level in sending_levels:
            kinds.append(f"escalate (level {action.level})")
    return list(dict.fromkeys(kinds))


def _sending_levels(pack: RulePack, window: bool) -> set[int]:
    """Escalation levels that send something in some SLA policy (the conversation's policy is known
    at run time only, so any policy's level counts)."""
    return {
        e.level
        for policy in pack.sla_policies.values()
        for e in policy.escalations
        if _sent_twice(e.then, window, sending_levels=set())
    }


def twice_on_first_message(pack: RulePack) -> Iterator[Finding]:
    window = pack.settings.acknowledgement_window_minutes > 0
    sending = _sending_levels(pack, window)
    for i, rule in enumerate(pack.rules):
        if not BOTH <= set(rule.on) or '"event.type"' in json.dumps(rule.condition):
            continue
        kinds = _sent_twice(rule.then, window, sending)
        if not kinds:
            continue
        yield Finding(
            severity="warning",
            code=TWICE_ON_FIRST_MESSAGE,
            rules=[rule.id],
            path=f"rules[{i}].on",
            message=f"a conversation's first message raises conversation.created and then message.received, "
            f"so this rule's {', '.join(kinds)} runs twice for it; to act once on every customer message "
            "listen to message.received alone (conversation.created alone: the first message only)",
        )
