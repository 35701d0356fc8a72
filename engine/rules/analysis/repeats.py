"""Rules that act twice on a conversation's first message.

A customer's first message raises `conversation.created`, then `message.received`: a rule listening to
both matches on each, so what it sends goes out twice (two notifications to the team, two CRM notes,
two webhook calls), where an ops person meant "each message". Tags, priorities and routes set twice
change nothing, and an automatic reply inside the acknowledgement window is sent once: those are not
reported. A rule whose condition reads `event.type` tells the two events apart itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from engine.rules.actions.kinds import AddNote, CallWebhook, Notify, Reply
from engine.rules.analysis.findings import TWICE_ON_FIRST_MESSAGE, Finding
from engine.rules.context import EventType
from engine.rules.pack import Rule, RulePack

BOTH = frozenset({EventType.CONVERSATION_CREATED, EventType.MESSAGE_RECEIVED})


def _sent_twice(rule: Rule, window: bool) -> list[str]:
    """The kinds of the rule's actions a second run sends again."""
    kinds = []
    for action in rule.then:
        once = isinstance(action, Reply) and action.auto and window
        if isinstance(action, Notify | AddNote | CallWebhook | Reply) and not once:
            kinds.append(action.kind)
    return list(dict.fromkeys(kinds))


def twice_on_first_message(pack: RulePack) -> Iterator[Finding]:
    window = pack.settings.acknowledgement_window_minutes > 0
    for i, rule in enumerate(pack.rules):
        if not BOTH <= set(rule.on) or '"event.type"' in json.dumps(rule.condition):
            continue
        kinds = _sent_twice(rule, window)
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
