"""Traffic coverage: how often each rule fired on recorded conversations over a period.

The input is the decision trail of each conversation (what `GET /v1/conversations/{id}/decisions`
answers: the workflow keeps every event's decision record there), as read from each of its runs.
A run that continued as new carries the last records of the one before, so the same record can
arrive twice: it is counted once (a record's identity is its thread, sequence number, event and
time). Only records whose event happened in the period count.

Rules are counted by id, whatever version of the pack decided: a tenant that published during the
period has decisions of both versions, and ops ask "how often did `vip-sla` fire", not "under which
hash". The hashes seen are reported beside the counts so a reader can tell.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from engine.contracts.compact_json import plain
from engine.contracts.conversation import DecisionEntry


@dataclass(kw_only=True)
class RuleTraffic:
    """One rule on the period's traffic."""

    fired: int = 0
    """Decisions it matched in (its actions were decided)."""
    evaluated: int = 0
    """Decisions that evaluated it (matched, not matched or failed; not those after a `stop`)."""
    failed: int = 0
    """Decisions its condition failed to evaluate in."""
    conversations: int = 0
    """Conversations it fired in at least once."""


@dataclass(kw_only=True)
class TrafficCoverage:
    """Every rule of the pack on the period's traffic, and what else the traffic held."""

    start: datetime
    end: datetime
    rules: dict[str, RuleTraffic]
    """By rule id, every rule of the pack (zero counts included), in the pack's order."""
    conversations: int = 0
    """Conversations with at least one decision in the period."""
    decisions: int = 0
    packs: Counter[str] = field(default_factory=Counter)
    """Decisions per pack hash."""
    other_rules: Counter[str] = field(default_factory=Counter)
    """Times rules the pack does not have fired (an earlier version's, or another pack's)."""
    truncated: bool = False
    """More conversations had activity in the period than were read (the reader's bound)."""
    unanswered: int = 0
    """Runs whose trail could not be read (left out of the counts)."""

    @property
    def never_fired(self) -> list[str]:
        return [rule_id for rule_id, counts in self.rules.items() if counts.fired == 0]


def in_period(at: datetime, start: datetime, end: datetime) -> bool:
    """Whether an instant falls in [start, end)."""
    return start <= at < end


def traffic_coverage(
    rule_ids: Sequence[str],
    trails: Mapping[str, Iterable[DecisionEntry]],
    *,
    start: datetime,
    end: datetime,
) -> TrafficCoverage:
    """Count, per rule of `rule_ids`, the decisions of `trails` (conversation -> records) in [start, end)."""
    coverage = TrafficCoverage(start=start, end=end, rules={rule_id: RuleTraffic() for rule_id in rule_ids})
    for trail in trails.values():
        seen: set[tuple[int, int, str, datetime]] = set()
        fired_here: set[str] = set()
        decided = False
        for entry in trail:
            if entry.decision is None or not in_period(entry.at, start, end):
                continue
            record = plain(entry.decision)
            identity = (entry.thread, entry.seq, entry.event, entry.at)
            if identity in seen:
                continue
            seen.add(identity)
            decided = True
            coverage.decisions += 1
            coverage.packs[str(record.get("pack_hash", ""))] += 1
            for row in record.get("rules") or []:
                _count(coverage, row, fired_here)
        coverage.conversations += decided
        for rule_id in fired_here:
            coverage.rules[rule_id].conversations += 1
    return coverage


def _count(coverage: TrafficCoverage, row: Mapping[str, object], fired_here: set[str]) -> None:
    rule_id, outcome = str(row.get("id")), row.get("outcome")
    counts = coverage.rules.get(rule_id)
    if counts is None:
        if outcome == "matched":
            coverage.other_rules[rule_id] += 1
        return
    if outcome == "not_reached":
        return
    counts.evaluated += 1
    if outcome == "matched":
        counts.fired += 1
        fired_here.add(rule_id)
    elif outcome == "error":
        counts.failed += 1
