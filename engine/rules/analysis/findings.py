"""What `rules check` reports: one finding per mistake or risk, named by rule ids and JSON path.

A finding is for an ops person reading a terminal or the API: its `message` says what happens to
conversations, its `path` (`rules[3].if.and[1]`) and `line` say where to look, and its `code` is
stable, so tools and tests can tell kinds apart without parsing messages. Errors block publishing;
warnings and infos do not.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")

# The codes of the analysis' own findings (validation's problems keep theirs: engine/rules/validation.py).
NEVER_MATCHES = "never-matches"
"""The rule's condition cannot be true on any of its events (or on some of them: a warning)."""
IMPOSSIBLE_VALUE = "impossible-value"
"""An enumerated context field (channel, status, priority, ...) compared with a value it never holds."""
SHADOWED = "shadowed"
"""An earlier rule with `stop` matches whenever this one would, on the same event."""
CONFLICTING_ACTIONS = "conflicting-actions"
"""Two rules that can both match set different priorities, teams or SLA policies."""
ROSTER = "roster"
"""What the tenant's roster cannot give: an agent it does not have, skills no agent has."""
ROSTER_SKIPPED = "roster-not-checked"
"""The roster was not available, so agents and their skills were not checked."""
LOOSE_NULL = "loose-null"
"""`{"==": [x, null]}`: JSON-logic's loose equality is true for 0, "" and false too, not only null."""
TWICE_ON_FIRST_MESSAGE = "twice-on-first-message"
"""A rule on conversation.created and message.received that sends something: both events come with a
conversation's first message, so it is sent twice."""
TEXT_AS_NUMBER = "text-as-number"
"""`{">": [{"var": "message.text"}, 3]}`: JSON-logic reads the text as a number, and any text that is
not one (most) makes the condition fail with an error, counted as not matched."""
BACKWARDS_IN = "backwards-in"
"""`{"in": [[...], {"var": "customer.tier"}]}`: a list is never inside a text or a list of texts; the
arguments were meant the other way round."""
UNTRAINED_LANGUAGE = "untrained-language"
"""A language triage serves in which no intent has an example sentence."""
ESCALATIONS_NEVER_RUN = "escalations-never-run"
"""An SLA policy's escalation levels that no rule starts: a level runs only from an `escalate` action (a
rule on `sla.breached`), and each later one at its business minutes after the breach."""
ESCALATION_DELAY_IGNORED = "escalation-delay-ignored"
"""An `escalate` names a level with `after_breach_minutes`: the action runs it when the rule matches; the
delay is waited only by a level scheduled after another."""
ESCALATION_BEFORE_EARLIER = "escalation-before-earlier-level"
"""A level whose `after_breach_minutes` is below an earlier level's: it is due before the level it
follows, and runs at once when that one runs."""
PAUSE_ON_ENDED = "pause-on-ended-status"
"""`pause_on: [solved]` or `[closed]`: those statuses meet every clock, so pausing on them changes nothing."""
REMINDER_AFTER_CLOSE = "idle-reminder-after-close"
"""`idle_reminder_minutes` past `auto_close_idle_minutes`: a conversation closes before its reminder."""
SERVER_TIME_ZONE = "server-time-zone"
"""A calendar on `timezone: localtime`: the zone of whichever machine runs the worker, not the office's."""
FIXED_OFFSET_ZONE = "fixed-offset-time-zone"
"""A calendar on `EST`, `CET`, `Etc/GMT+5`...: a fixed offset (or an old rule), not the office's city, so
its hours move by one when the city's clocks change."""
OVERNIGHT_RANGE = "overnight-range"
"""Opening hours that end before they start (`["14:00", "06:00"]`): read as open through the night."""
TOO_LARGE = "too-large-to-analyse"
"""A condition (or a pack) past the analysis' work limits: it was not analysed, nothing is claimed."""

_RULE_INDEX = re.compile(r"^rules\[(\d+)\]")


class Finding(BaseModel):
    """One finding of `rules check`."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    severity: Severity
    """error (publishing refuses the pack), warning or info."""
    code: str
    """Stable name of the kind of finding, e.g. `shadowed` or `unknown-reference`."""
    rules: list[str] = Field(default_factory=list)
    """The ids of the rules concerned, the one the path points into first."""
    path: str
    """Where in the pack, e.g. `rules[3].if.and[1]` (empty: the pack as a whole)."""
    message: str
    """What happens, in words an ops person acts on."""
    line: int | None = None
    """The line of `path` in the pack's YAML, when the pack came as text."""

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{self.severity:<7} {self.code:<26} {where}{self.path or '(pack)'}: {self.message}"


class CheckReport(BaseModel):
    """Every finding of one pack, errors first, and the counts `publish` and the CLI's exit code read."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    findings: list[Finding]
    """Errors, then warnings, then infos; in pack order within each."""
    errors: int
    """Findings of severity error: publishing refuses the pack while there is one."""
    warnings: int
    """Findings of severity warning."""

    @classmethod
    def of(cls, findings: list[Finding]) -> CheckReport:
        ordered = sorted(findings, key=lambda f: SEVERITIES.index(f.severity))
        return cls(
            findings=ordered,
            errors=sum(f.severity == "error" for f in ordered),
            warnings=sum(f.severity == "warning" for f in ordered),
        )


def rule_index(path: str) -> int | None:
    """3 for `rules[3].if.and[1]`; None for a path outside the rules."""
    found = _RULE_INDEX.match(path)
    return int(found.group(1)) if found else None
