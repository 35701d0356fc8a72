"""The rule pack: the ops team's file, as typed models, and its content hash.

A pack is versioned by the SHA-256 of its canonical content (everything but its test cases, which
describe the pack rather than change its behaviour). A running conversation pins that hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)

from engine.contracts.assignment import STRATEGIES, Strategy, TeamPolicy
from engine.contracts.single_line import MAX_NAME
from engine.rules.actions import MAX_MINUTES, Action
from engine.rules.context import EventType

RULE_ID = r"^[a-z0-9][a-z0-9_.\-]{0,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Meta(_Strict):
    name: str = Field(min_length=1, max_length=64)
    version: str = Field(default="0", max_length=32, description="Human label; the hash is the identity.")
    language: str = Field(default="en", min_length=2, max_length=8, description="Default language.")
    description: str | None = None


class Escalation(_Strict):
    level: int = Field(ge=1, le=10)
    after_breach_minutes: float = Field(
        default=0, ge=0, le=MAX_MINUTES, description="Business minutes after the breach."
    )
    then: list[Action] = Field(min_length=1)


class SlaPolicy(_Strict):
    calendar: str
    first_response_minutes: float | None = Field(default=None, gt=0, le=MAX_MINUTES)
    next_response_minutes: float | None = Field(default=None, gt=0, le=MAX_MINUTES)
    resolution_minutes: float | None = Field(default=None, gt=0, le=MAX_MINUTES)
    pause_on: list[str] = Field(default_factory=lambda: ["pending", "on_hold"])
    warning_fraction: float = Field(default=0.8, gt=0, lt=1)
    escalations: list[Escalation] = Field(default_factory=list)


class TeamAssignment(_Strict):
    """How the team's queue gives conversations to agents (issue 16; the desk applies it)."""

    strategy: Strategy = Field(default="round_robin", description=", ".join(STRATEGIES))
    load_statuses: list[Literal["open", "pending", "on_hold", "solved"]] = Field(
        default_factory=lambda: ["open", "on_hold"],  # type: ignore[arg-type]
        description="Statuses that count toward an agent's load; pending does not by default.",
    )
    widen_skills_after_minutes: float | None = Field(
        default=None,
        ge=0,
        le=MAX_MINUTES,
        description="Minutes a request waits before its skills are dropped.",
    )
    away_grace_minutes: float = Field(
        default=5,
        ge=0,
        le=MAX_MINUTES,
        description="An assignee away or offline this long loses the conversation.",
    )
    unanswered_minutes: float | None = Field(
        default=None,
        gt=0,
        le=MAX_MINUTES,
        description="Business minutes an assignee may leave the customer waiting.",
    )

    def policy(self) -> TeamPolicy:
        return TeamPolicy.model_validate(self.model_dump())


class Team(_Strict):
    calendar: str | None = None
    skills: list[str] = Field(default_factory=list)
    specialist_for: list[str] = Field(default_factory=list, description="Tags this team takes on escalation.")
    assignment: TeamAssignment | None = Field(
        default=None, description="The team's assignment strategy and timers; round robin when absent."
    )

    @model_serializer(mode="wrap")
    def _omit_unset_additions(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Left out while unset, so packs published before it keep their hash (PackSettings does the same).
        data: dict[str, Any] = handler(self)
        if data.get("assignment") is None:
            data.pop("assignment", None)
        return data


class PackSettings(_Strict):
    auto_close_idle_minutes: float | None = Field(default=None, gt=0, le=MAX_MINUTES)
    idle_reminder_minutes: float | None = Field(default=None, gt=0, le=MAX_MINUTES)
    survey_delay_minutes: float | None = Field(default=None, ge=0, le=MAX_MINUTES)
    survey_expiry_minutes: float | None = Field(default=None, gt=0, le=MAX_MINUTES)
    reopen_window_minutes: float | None = Field(default=None, ge=0, le=MAX_MINUTES)
    acknowledgement_window_minutes: float = Field(default=60, ge=0, le=MAX_MINUTES)
    max_event_depth: int = Field(default=3, ge=1, le=10)
    business_hours_calendar: str | None = Field(
        default=None,
        description="The calendar `business_hours.*` reads while a conversation has neither a team with "
        "a calendar nor an SLA policy: at `conversation.created` it never has.",
    )
    auto_close_status: Literal["closed", "solved"] | None = Field(
        default=None,
        description="What `auto_close_idle_minutes` sets a pending conversation the customer never "
        "answered to: closed (the default), or solved, as Zendesk does, so the survey and the reopen "
        "window follow and a late answer reopens it with its agent rather than beginning a new thread.",
    )

    @model_serializer(mode="wrap")
    def _omit_unset_additions(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Settings added after packs were first published are left out while unset, so the canonical
        # content, and with it every published pack's hash, is what it was before they existed.
        data: dict[str, Any] = handler(self)
        for added in ("business_hours_calendar", "auto_close_status"):
            if data.get(added) is None:
                data.pop(added, None)
        return data


# A blocked-sender pattern: a case-insensitive glob over the whole address (`*@offers.example`,
# `no-reply-*@shop.example`), one line, with an `@`; at most 200 of them, each within an address's size.
SENDER_PATTERN = r"^[^\s@]*@[^\s@]+$"


class EmailSettings(_Strict):
    """How the email channel treats inbound mail of this pack's tenant (issue 20)."""

    blocked_senders: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="Senders whose mail goes to quarantine (reason blocked_sender), never into a "
        "conversation: case-insensitive globs over the address, `*@offers.example`.",
    )

    @field_validator("blocked_senders")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if len(pattern) > 320 or not re.match(SENDER_PATTERN, pattern):
                raise ValueError(
                    f"{pattern[:60]!r} is not a sender pattern: one address, `*` and `?` as wildcards "
                    "(`*@offers.example`)"
                )
        return value


class Rule(_Strict):
    id: str = Field(pattern=RULE_ID)
    description: str | None = None
    on: list[EventType] = Field(min_length=1)
    condition: Any = Field(default=None, alias="if", description="JSON-logic; absent means always.")
    then: list[Action] = Field(default_factory=list)
    stop: bool = False


class Intent(_Strict):
    """An intent the pack's classifier learns from example sentences (engine/rules/triage)."""

    description: str | None = None
    examples: dict[str, list[str]] = Field(
        min_length=1,
        description="Language (ISO 639-1) -> example sentences a customer might write for this intent.",
    )


class SentimentLexicon(_Strict):
    """A language's sentiment words for languages VADER (English only) does not cover."""

    words: dict[str, float] = Field(
        description="Word or phrase (any case) -> valence from -4 to 4, as VADER's."
    )
    negations: list[str] = Field(default_factory=list, description="Words that flip the next word's valence.")


class TriageSettings(_Strict):
    """Language detection, intent classification and sentiment: what `message.language`, `.intent` and
    `.sentiment` are computed with. Absent: the defaults below."""

    languages: list[str] | None = Field(
        default=None,
        description="Languages a message may be detected in (ISO 639-1). Default: `meta.language`, "
        "the template languages and the intents' example languages.",
    )
    intent_threshold: float = Field(
        default=0.5, ge=0, le=1, description="Below this probability `message.intent` is empty."
    )
    min_precision: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Publishing refuses an intent whose cross-validated precision is lower.",
    )
    min_recall: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Publishing refuses an intent whose cross-validated recall is lower.",
    )
    sentiment_lexicons: dict[str, SentimentLexicon] = Field(
        default_factory=dict, description="Language -> lexicon; English without one uses VADER."
    )


class Outcome(_Strict):
    """What a decision is expected to do: the rules it matches, its actions, what they leave."""

    matched: list[str] | None = None
    not_matched: list[str] | None = None
    actions: list[dict[str, Any]] | None = None
    tags: list[str] | None = None
    route: str | None = None
    priority: str | None = None


class FollowOn(Outcome):
    """A status change the case's actions make, decided next as live decides it (`status.changed`)."""

    status: str | None = None
    """The status the change is to."""


class Expectation(Outcome):
    intent: str | None = None
    language: str | None = None
    followed_by: list[FollowOn] | None = None
    """Every status change the actions make, in order (`[]`: none); unset, they are not looked at."""


class TestCase(_Strict):
    __test__ = False  # not a pytest class

    name: str
    event: EventType
    context: dict[str, Any] = Field(default_factory=dict)
    expect: Expectation


DECISION_ONLY = frozenset({"rules", "intents"})
"""The sections of a pack only the `decide` activity reads (the rules and the intent classifier's
examples); the workflow reads the rest: templates, SLA policies, calendars, teams, settings."""
# A team's name is what the API assigns to (at most 64 characters there), what lists and KPIs filter
# on, and a search attribute: Temporal refuses a value over 2 KB and terminates the workflow.
MAX_TEAM_NAME = MAX_NAME
# Every conversation records its pack's workflow part (a local activity's result), and Temporal
# refuses a payload over 2 MB: the conversation's workflow task would then fail at every attempt.
# YAML aliases can make it several times the pack's text, whose own bound is 2 MB.
MAX_WORKFLOW_PART_BYTES = 1_500_000


def base_language(code: str) -> str:
    """A language code without its region, lower-cased: `de_AT`, `de-AT` and `DE` are `de`."""
    return code.replace("_", "-").split("-")[0].lower()


class RulePack(_Strict):
    meta: Meta
    calendars: dict[str, dict[str, Any]] = Field(default_factory=dict)
    sla_policies: dict[str, SlaPolicy] = Field(default_factory=dict)
    teams: dict[str, Team] = Field(default_factory=dict)
    templates: dict[str, dict[str, str]] = Field(default_factory=dict)
    settings: PackSettings = Field(default_factory=PackSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    rules: list[Rule] = Field(default_factory=list)
    intents: dict[str, Intent] = Field(default_factory=dict)
    triage: TriageSettings | None = None
    tests: list[TestCase] = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _omit_unset_additions(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Left out while unset, so packs published before triage existed keep their hash.
        data: dict[str, Any] = handler(self)
        if not data.get("intents"):
            data.pop("intents", None)
        if data.get("triage") is None:
            data.pop("triage", None)
        return data

    def served_languages(self) -> tuple[str, ...]:
        """The languages detection chooses among (sorted ISO 639-1 codes, regions dropped)."""
        if self.triage is not None and self.triage.languages is not None:
            chosen = set(self.triage.languages)
        else:
            chosen = {self.meta.language, *(lang for texts in self.templates.values() for lang in texts)}
            chosen |= {lang for intent in self.intents.values() for lang in intent.examples}
        return tuple(sorted({base_language(lang) for lang in chosen}))

    def intent_examples(self) -> dict[str, dict[str, list[str]]]:
        """intent -> language -> example sentences: what the classifier is trained on."""
        return {name: dict(intent.examples) for name, intent in self.intents.items()}

    def business_hours_calendar(self, team: str | None, sla_calendar: str | None) -> str | None:
        """The calendar `business_hours.*` (and business minutes) of a conversation are read from.

        The team's calendar, else the SLA policy's, else `settings.business_hours_calendar`, else the
        pack's only calendar. Packs with several calendars and none of these (published before the
        setting existed) keep what they had: the first calendar by name; the validator asks for the
        setting when a `conversation.created` rule reads business hours.
        """
        found = self.teams.get(team or "")
        if found is not None and found.calendar:
            return found.calendar
        return sla_calendar or self.settings.business_hours_calendar or next(iter(self.calendars), None)

    def team_policy(self, team: str | None) -> TeamPolicy:
        """How `team` assigns: its `assignment` section, else round robin with the defaults."""
        found = self.teams.get(team or "")
        if found is None or found.assignment is None:
            return TeamPolicy()
        return found.assignment.policy()

    def declared_skills(self) -> set[str]:
        """Every skill some team declares: what agents and `assign` actions may name."""
        return {skill for t in self.teams.values() for skill in t.skills}

    def named_agents(self) -> list[tuple[str, str]]:
        """(path, agent id) of every `assign` naming its agent: publishing checks them against the roster."""
        found: list[tuple[str, str]] = []
        places = [(f"rules[{i}].then", r.then) for i, r in enumerate(self.rules)]
        for name, policy in self.sla_policies.items():
            places += [
                (f"sla_policies.{name}.escalations[{k}].then", e.then)
                for k, e in enumerate(policy.escalations)
            ]
        for where, actions in places:
            for j, action in enumerate(actions):
                agent = getattr(action, "agent", None)
                if action.kind == "assign" and isinstance(agent, str):
                    found.append((f"{where}[{j}].assign.agent", agent))
        return found

    def workflow_part(self) -> dict[str, Any]:
        """The canonical pack without what only a decision reads (DECISION_ONLY): what a conversation
        records for its own use. A large pack is mostly rules (bench/realistic_pack.py: 98%)."""
        return self.canonical(leave_out=DECISION_ONLY)

    def workflow_part_size(self) -> int:
        """The workflow part's size as compact UTF-8 JSON (what the payload converter writes, before
        the codec deflates it)."""
        text = json.dumps(self.workflow_part(), ensure_ascii=False, separators=(",", ":"))
        return len(text.encode())

    def canonical(self, *, leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The pack's behaviour as plain JSON: what the hash covers and what publishing stores
        (without the sections in `leave_out`, never dumped: a large pack is mostly rules)."""
        data = self.model_dump(mode="json", by_alias=True, exclude={"tests", *leave_out})
        # Added after packs were first published: left out while unset, so their hashes stay.
        if data.get("email") == {"blocked_senders": []}:
            data.pop("email")
        return data

    def written_tests(self) -> list[Any]:
        """The test cases as JSON, as written: an expectation of null (`route: null`, not routed)
        stays apart from one left out, which a whole dump writes as null too."""
        dumped = self.model_dump(mode="json", by_alias=True, include={"tests"}, exclude_unset=True)
        tests: list[Any] = dumped.get("tests", [])
        return tests

    def as_written(self) -> dict[str, Any]:
        """The whole pack as JSON, its test cases (if any) as written: what a pack job reads back the
        same, and what its authors edit."""
        tests = self.written_tests()
        return {**self.canonical(), **({"tests": tests} if tests else {})}

    @property
    def content_hash(self) -> str:
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()
