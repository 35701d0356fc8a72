"""The action kinds, one class each: fields, the event it raises, its checks, execution and simulation.

Adding an action kind is one class here and its name in `KINDS` below: the pack model, the validator
(its checks and the loop check), rule tests, simulation and the workflow all read these classes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field

from engine.contracts.assignment import SKILL_PATTERN
from engine.contracts.single_line import is_pack_name
from engine.rules.actions.base import (
    MAX_MINUTES,
    ActionBase,
    ActionPort,
    ActionResult,
    ScalarAction,
    Simulated,
)
from engine.rules.context import Priority
from engine.rules.references import unknown

if TYPE_CHECKING:
    from engine.rules.pack import RulePack


TagName = Annotated[str, Field(min_length=1, max_length=64)]
"""Its shape (engine/contracts/single_line.py PACK_NAME) is checked when a pack is validated
(`_tag_problems`), not when a stored one is read: a pack pinned before the check still loads."""
# What a template or notify message fills: `{message.language}`, a dotted context path.
_PLACEHOLDER = re.compile(r"\{[A-Za-z_]\w*(\.[A-Za-z_]\w*)+\}")


def _tag_problems(tags: list[str], *, added: bool = False) -> Iterator[tuple[str, str]]:
    for j, tag in enumerate(tags):
        if not is_pack_name(tag):
            yield f"[{j}]", "a tag is one line of at most 64 characters, without quotes or backslashes"
        elif added and _PLACEHOLDER.search(
            tag
        ):  # a notify message fills them: a tag was "{message.language}"
            yield f"[{j}]", f"{tag!r}: a tag is written as it is, it fills no {{placeholder}}"


StatusName = Literal["open", "pending", "on_hold", "solved", "closed"]
STATUS_CHANGED = "status.changed"


def _problem(path: str, message: str | None) -> Iterator[tuple[str, str]]:
    if message:
        yield path, message


class Reply(ActionBase):
    """Send a template to the customer, in the conversation's language."""

    kind = "reply"
    example = {"template": "acknowledgement"}
    template: str = Field(description="Template name; the conversation's language picks the text.")
    auto: bool = Field(default=True, description="An automatic reply (never sent to automated senders).")

    def check(self, pack: RulePack) -> Iterator[tuple[str, str]]:
        yield from _problem(".template", unknown(self.template, pack.templates, "template"))

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.reply(self.template, auto=self.auto)

    def simulate(self, sim: Simulated) -> None:
        sim.replied = True


class AddTags(ScalarAction):
    """Tag the conversation (tags it has already are kept once)."""

    kind = "add_tags"
    example = ["billing"]
    value: list[TagName]

    def check(self, pack: RulePack) -> Iterator[tuple[str, str]]:
        return _tag_problems(self.value, added=True)  # removing such a tag an older pack added is fine

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.add_tags(self.value)

    def simulate(self, sim: Simulated) -> None:
        sim.tags += [t for t in self.value if t not in sim.tags]
        sim.added_tags += self.value
        sim.tagged = True


class RemoveTags(ScalarAction):
    """Remove tags (tags the conversation does not have are ignored)."""

    kind = "remove_tags"
    example = ["waiting"]
    value: list[TagName]

    def check(self, pack: RulePack) -> Iterator[tuple[str, str]]:
        return _tag_problems(self.value)

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.remove_tags(self.value)

    def simulate(self, sim: Simulated) -> None:
        sim.tags = [t for t in sim.tags if t not in self.value]


class SetPriority(ScalarAction):
    """Set the priority: low, normal, high or urgent."""

    kind = "set_priority"
    example = "high"
    value: Priority

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.set_priority(self.value.value)

    def simulate(self, sim: Simulated) -> None:
        sim.priority = self.value.value


class Route(ScalarAction):
    """Move the conversation to a team (its calendar then governs business hours)."""

    kind = "route"
    example = "billing"
    value: Annotated[str, Field(min_length=1)]

    def check(self, pack: RulePack) -> Iterator[tuple[str, str]]:
        yield from _problem("", unknown(self.value, pack.teams, "team"))

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.route(self.value)

    def simulate(self, sim: Simulated) -> None:
        sim.team = sim.routed_to = self.value


class Assign(ActionBase):
    """Ask the team's queue for an agent (its strategy, or the one named here), or name the agent.

    `skills` are required of the agent (until the team's `widen_skills_after_minutes`);
    `by_language: true` adds `lang:<the conversation's language>` when the team declares that skill
    (a language no team member is declared for adds nothing: better any agent than none). When the
    conversation already has an agent in the same team, this asks for a different one (an
    escalation's reassignment).
    """

    kind = "assign"
    raises = "conversation.assigned"
    example = {"strategy": "least_loaded"}
    strategy: Literal["round_robin", "least_loaded", "most_spare", "skills", "agent"] | None = None
    agent: str | None = None
    skills: list[Annotated[str, Field(pattern=SKILL_PATTERN)]] = Field(default_factory=list, max_length=20)
    by_language: bool = False

    def check(self, pack: RulePack) -> Iterator[tuple[str, str]]:
        if self.strategy == "agent" and not self.agent:
            yield "", 'strategy "agent" needs an agent id'
        declared = pack.declared_skills()
        for i, skill in enumerate(self.skills):
            if skill not in declared:
                known = ", ".join(sorted(declared)) or "none"
                yield (
                    f".skills[{i}]",
                    f"unknown skill {skill!r}: no team declares it (teams declare: {known})",
                )

    def _value_of(self, fields: dict[str, Any]) -> Any:
        # Left out while unset, so packs published before they existed keep their hash.
        if fields.get("strategy") is None:
            fields.pop("strategy", None)
        if not fields.get("skills"):
            fields.pop("skills", None)
        if not fields.get("by_language"):
            fields.pop("by_language", None)
        return fields

    async def execute(self, port: ActionPort) -> ActionResult:
        if self.strategy == "agent" and self.agent:
            return await port.assign_agent(self.agent)
        return await port.assign_in_team(self.strategy, list(self.skills), by_language=self.by_language)

    def simulate(self, sim: Simulated) -> None:
        pass  # who gets it depends on the roster at the time, not on the rules


class ApplySla(ScalarAction):
    """Run the SLA policy's clocks; a changed policy keeps the business time already consumed."""

    kind = "apply_sla"
    example = "standard"
    value: Annotated[str, Field(min_length=1)]

    def check(self, pack: RulePack) -> Iterator[tuple[str, str]]:
        yield from _problem("", unknown(self.value, pack.sla_policies, "SLA policy"))

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.apply_sla(self.value)

    def simulate(self, sim: Simulated) -> None:
        pass  # clocks run on time, which a simulation does not have


class Escalate(ActionBase):
    """Run an escalation level of the conversation's SLA policy now."""

    kind = "escalate"
    example = {"level": 1}
    level: int = Field(ge=1, le=10)

    def check(self, pack: RulePack) -> Iterator[tuple[str, str]]:
        # A pack without escalations at all was let through: the action ran nothing, reported done.
        known = {e.level for p in pack.sla_policies.values() for e in p.escalations}
        if self.level not in known:
            yield ".level", f"no SLA policy defines escalation level {self.level}"

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.escalate(self.level)

    def simulate(self, sim: Simulated) -> None:
        sim.escalated = True


class Notify(ActionBase):
    """Tell a team, an agent, an address or an endpoint (a signed POST to the notify endpoint)."""

    kind = "notify"
    filled = ("message",)
    example = {"team": "billing", "message": "VIP waiting"}
    team: str | None = None
    agent: str | None = None
    email: str | None = None
    webhook: str | None = Field(
        default=None,
        description="A URL: the notification is POSTed there signed, as the notify endpoint gets it "
        "(`message.outbound`), to a public address only, as `call_webhook`.",
    )
    template: str | None = None
    message: str | None = Field(default=None, max_length=2000)

    @property
    def recipient(self) -> str:
        return self.email or self.webhook or (f"agent:{self.agent}" if self.agent else f"team:{self.team}")

    def check(self, pack: RulePack) -> Iterator[tuple[str, str]]:
        yield from _problem(".team", unknown(self.team, pack.teams, "team"))
        yield from _problem(".template", unknown(self.template, pack.templates, "template"))
        if not (self.team or self.agent or self.email or self.webhook):
            yield "", "names no recipient (team, agent, email or webhook)"
        if self.webhook and not self.webhook.startswith(("http://", "https://")):
            yield ".webhook", "is not an http:// or https:// URL"

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.notify(self.recipient, self.message or "", self.template)

    def simulate(self, sim: Simulated) -> None:
        pass  # nothing changes on the conversation


class UpdateCrm(ActionBase):
    """Write one field of the customer's CRM record."""

    kind = "update_crm"
    filled = ("value",)
    literal_braces = True
    example = {"field": "last_contact_channel", "value": "email"}
    field: str = Field(min_length=1)
    value: Any = None

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.write_crm(self.field, self.value)

    def simulate(self, sim: Simulated) -> None:
        pass  # the CRM is outside the conversation


class AddNote(ActionBase):
    """Add a note to the customer's CRM record."""

    kind = "add_note"
    filled = ("text",)
    literal_braces = True
    example = {"text": "VIP conversation opened"}
    text: str = Field(min_length=1, max_length=5000)

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.add_note(self.text)

    def simulate(self, sim: Simulated) -> None:
        pass  # the CRM is outside the conversation


class ScheduleSurvey(ActionBase):
    """Send the `survey` template after a delay (the pack's `survey_delay_minutes` by default)."""

    kind = "schedule_survey"
    example = {"delay_minutes": 60}
    delay_minutes: int | None = Field(default=None, ge=0, le=MAX_MINUTES)

    def check(self, pack: RulePack) -> Iterator[tuple[str, str]]:
        # Without one the survey was skipped when due ("no `survey` template"), after a clean validate.
        if "survey" not in pack.templates:
            yield "", "no `survey` template to send: add templates.survey"

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.schedule_survey(self.delay_minutes)

    def simulate(self, sim: Simulated) -> None:
        sim.surveyed = True


class Snooze(ActionBase):
    """Put the conversation on hold; it opens again by itself after `minutes`."""

    kind = "snooze"
    raises = STATUS_CHANGED
    example = {"minutes": 30}
    minutes: int = Field(ge=1, le=MAX_MINUTES)

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.snooze(self.minutes)

    def simulate(self, sim: Simulated) -> None:
        sim.status = "on_hold"


class SetStatus(ScalarAction):
    """Move the conversation to a status; the change is decided on as `status.changed`."""

    kind = "set_status"
    raises = STATUS_CHANGED
    example = "pending"
    value: StatusName

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.set_status(self.value)

    def simulate(self, sim: Simulated) -> None:
        sim.status = self.value
        sim.closed = sim.closed or self.value == "closed"


class Close(ActionBase):
    """Close the conversation: its workflow ends; a later message starts a new thread."""

    kind = "close"
    raises = STATUS_CHANGED
    example: ClassVar[Any] = {}

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.set_status("closed")

    def simulate(self, sim: Simulated) -> None:
        sim.status = "closed"
        sim.closed = True


class CallWebhook(ActionBase):
    """POST the payload to a URL (signed, with the action's idempotency key)."""

    kind = "call_webhook"
    example = {"url": "https://hooks.example/vip", "payload": {"vip": True}}
    url: str = Field(pattern=r"^https?://")
    payload: dict[str, Any] = Field(default_factory=dict)

    async def execute(self, port: ActionPort) -> ActionResult:
        return await port.call_webhook(self.url, self.payload)

    def simulate(self, sim: Simulated) -> None:
        pass  # nothing changes on the conversation


# The only list of action kinds; the registry, the YAML union and the docs derive from it.
KINDS: tuple[type[ActionBase], ...] = (
    Reply,
    AddTags,
    RemoveTags,
    SetPriority,
    Route,
    Assign,
    ApplySla,
    Escalate,
    Notify,
    UpdateCrm,
    AddNote,
    ScheduleSurvey,
    Snooze,
    SetStatus,
    Close,
    CallWebhook,
)
