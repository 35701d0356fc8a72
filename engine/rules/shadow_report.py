"""Shadow mode's arithmetic: how a candidate's decision differs from the live one, and the report.

Pure: the worker compares each live decision with the candidate's (`compare`) and stores the
summary; the report (`report`) counts the stored summaries per rule, per event type and in total.

- A decision differs when its actions differ, as `rules diff` says (engine/rules/simulation.py).
- A rule is counted in every compared decision where it matched in either pack or failed in the
  candidate; it differs there when it matched in one pack and not the other, or when the actions
  it decided differ. So a rule the candidate changed shows its own rate, not the rate of every
  decision it shares with a changed rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

MAX_EXAMPLES = 5


@dataclass(frozen=True, kw_only=True)
class DecisionDiff:
    """What the comparison keeps of two decision records (no context, no text: rule ids and actions)."""

    live_actions: list[dict[str, Any]]
    shadow_actions: list[dict[str, Any]]
    """`{rule, action}` rows, as the decision records hold them."""
    live_matched: list[str]
    shadow_matched: list[str]
    shadow_errors: list[str]
    """The candidate's rules whose condition failed on this context (counted as not matched)."""
    differs: bool


def compare(live: dict[str, Any], shadow: dict[str, Any]) -> DecisionDiff:
    """Two decision records (`Decision.model_dump(mode="json")`) of the same event and context."""
    live_actions = [{"rule": row["rule"], "action": row["action"]} for row in live["actions"]]
    shadow_actions = [{"rule": row["rule"], "action": row["action"]} for row in shadow["actions"]]
    return DecisionDiff(
        live_actions=live_actions,
        shadow_actions=shadow_actions,
        live_matched=[row["id"] for row in live["rules"] if row["outcome"] == "matched"],
        shadow_matched=[row["id"] for row in shadow["rules"] if row["outcome"] == "matched"],
        shadow_errors=[row["id"] for row in shadow["rules"] if row["outcome"] == "error"],
        differs=[a["action"] for a in live_actions] != [a["action"] for a in shadow_actions],
    )


class Compared(Protocol):
    """A stored comparison, as the report reads it (engine/db/shadow.py Comparison)."""

    @property
    def conversation_id(self) -> str: ...
    @property
    def live_hash(self) -> str: ...
    @property
    def event_type(self) -> str: ...
    @property
    def live_actions(self) -> list[dict[str, Any]]: ...
    @property
    def shadow_actions(self) -> list[dict[str, Any]]: ...
    @property
    def live_matched(self) -> list[str]: ...
    @property
    def shadow_matched(self) -> list[str]: ...
    @property
    def shadow_errors(self) -> list[str]: ...
    @property
    def differs(self) -> bool: ...


@dataclass
class Tally:
    """Decisions compared and differing, with up to MAX_EXAMPLES conversations that differ."""

    compared: int = 0
    differ: int = 0
    errors: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, conversation: str, differs: bool, error: bool = False) -> None:
        self.compared += 1
        self.errors += error
        if differs:
            self.differ += 1
            if conversation not in self.examples and len(self.examples) < MAX_EXAMPLES:
                self.examples.append(conversation)

    def as_dict(self, **key: str) -> dict[str, Any]:
        rate = self.differ / self.compared if self.compared else 0.0
        return {
            **key,
            "compared": self.compared,
            "differ": self.differ,
            "rate": round(rate, 4),
            "examples": list(self.examples),
        }


def _rule_actions(rows: Sequence[dict[str, Any]], rule: str) -> list[Any]:
    return [row["action"] for row in rows if row["rule"] == rule]


def report(comparisons: Iterable[Compared]) -> dict[str, Any]:
    """`total`, `by_event`, `by_rule` (each rule also with its `errors` in the candidate) and
    `by_live_pack`: a live decision is taken with its conversation's pinned pack, not always the
    active one, so a candidate equal to the active pack still differs from conversations pinned to
    an older one; the report said none of that, and blamed the candidate."""
    total = Tally()
    events: dict[str, Tally] = {}
    rules: dict[str, Tally] = {}
    packs: dict[str, Tally] = {}
    for c in comparisons:
        total.add(c.conversation_id, c.differs)
        events.setdefault(c.event_type, Tally()).add(c.conversation_id, c.differs)
        packs.setdefault(c.live_hash, Tally()).add(c.conversation_id, c.differs)
        live, shadow, failed = set(c.live_matched), set(c.shadow_matched), set(c.shadow_errors)
        for rule in sorted(live | shadow | failed):
            changed = (rule in live) != (rule in shadow) or _rule_actions(
                c.live_actions, rule
            ) != _rule_actions(c.shadow_actions, rule)
            rules.setdefault(rule, Tally()).add(c.conversation_id, changed, rule in failed)
    return {
        "total": total.as_dict(),
        "by_event": [events[e].as_dict(event=e) for e in sorted(events)],
        "by_live_pack": [
            packs[h].as_dict(live_hash=h) for h in sorted(packs, key=lambda h: -packs[h].compared)
        ],
        "by_rule": [
            {**rules[r].as_dict(rule=r), "errors": rules[r].errors}
            for r in sorted(rules, key=lambda r: (-rules[r].differ, r))
        ],
    }
