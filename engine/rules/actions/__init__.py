"""The actions a rule can take, each a small typed model written as a one-key mapping in YAML:

    then:
      - reply: {template: acknowledgement}
      - add_tags: [billing]
      - route: billing

Each kind is one class (kinds.py) owning its fields, the event it raises, its pack checks, its
execution through the workflow's `ActionPort` and its simulation. Decision records list them as
`{"type": kind, ...}`.
"""

from engine.rules.actions.base import (
    DONE,
    MAX_MINUTES,
    ActionBase,
    ActionPort,
    ActionResult,
    Outcome,
    ScalarAction,
    Simulated,
)
from engine.rules.actions.kinds import KINDS, STATUS_CHANGED
from engine.rules.actions.registry import ACTIONS, Action, action_kind, from_record

__all__ = [
    "ACTIONS",
    "DONE",
    "KINDS",
    "MAX_MINUTES",
    "STATUS_CHANGED",
    "Action",
    "ActionBase",
    "ActionPort",
    "ActionResult",
    "Outcome",
    "ScalarAction",
    "Simulated",
    "action_kind",
    "from_record",
]
