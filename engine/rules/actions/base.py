"""What every action kind has: its YAML shape, its decision record, and the port it executes through.

An action is written in a pack as a mapping with one key, its kind (`- route: billing`,
`- reply: {template: ack}`). One class per kind owns everything about it (see kinds.py); this module
holds what they share. Actions never do anything themselves: `execute` calls the `ActionPort` that
the conversation workflow implements, so this package stays pure and rule tests, simulation and the
workflow all read the same classes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer, model_validator

if TYPE_CHECKING:
    from engine.rules.pack import RulePack

Outcome = Literal["done", "skipped", "failed"]

# Ten years: a longer duration is a typo, and one past datetime's range would fail the workflow code
# that adds it to the clock (an auto-close of 1e12 minutes), jamming every conversation on the pack.
MAX_MINUTES = 10 * 366 * 24 * 60


@dataclass(frozen=True)
class ActionResult:
    """What executing one action came to, as the decision trail records it."""

    outcome: Outcome = "done"
    """done, skipped (a guard said no, e.g. no auto-reply to robots) or failed (a channel refused)."""
    detail: str | None = None
    """Why it was skipped or failed, or what was done (e.g. the template and language sent)."""


DONE = ActionResult()


@dataclass
class Simulated:
    """What actions would do to a conversation, done on paper: rule tests and `rules simulate` read it."""

    tags: list[str] = field(default_factory=list)
    team: str | None = None
    priority: str = "normal"
    status: str = "open"
    added_tags: list[str] = field(default_factory=list)
    routed_to: str | None = None
    tagged: bool = False
    replied: bool = False
    escalated: bool = False
    surveyed: bool = False
    closed: bool = False


class ActionPort(Protocol):
    """Everything an action can do to a conversation. ConversationWorkflow implements it
    (workflows/conversation/actions.py) with deterministic workflow code and activities."""

    async def reply(self, template: str, *, auto: bool) -> ActionResult: ...
    async def add_tags(self, tags: list[str]) -> ActionResult: ...
    async def remove_tags(self, tags: list[str]) -> ActionResult: ...
    async def set_priority(self, priority: str) -> ActionResult: ...
    async def route(self, team: str) -> ActionResult: ...
    async def assign_agent(self, agent: str) -> ActionResult: ...
    async def assign_in_team(
        self, strategy: str | None, skills: list[str], *, by_language: bool
    ) -> ActionResult: ...
    async def apply_sla(self, policy: str) -> ActionResult: ...
    async def escalate(self, level: int) -> ActionResult: ...
    async def notify(self, to: str, text: str, template: str | None) -> ActionResult: ...
    async def write_crm(self, field: str, value: Any) -> ActionResult: ...
    async def add_note(self, text: str) -> ActionResult: ...
    async def schedule_survey(self, delay_minutes: int | None) -> ActionResult: ...
    async def snooze(self, minutes: int) -> ActionResult: ...
    async def set_status(self, status: str) -> ActionResult: ...
    async def call_webhook(self, url: str, payload: dict[str, Any]) -> ActionResult: ...


class ActionBase(BaseModel):
    """One action kind. Subclasses set `kind` and `raises` and implement `execute` and `simulate`;
    `check` adds what field types cannot say (references to the pack's templates, teams, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ClassVar[str]
    """The YAML key, and `type` in decision records."""
    raises: ClassVar[str | None] = None
    """The event the workflow decides on after this action (the validator's loop check reads it)."""
    example: ClassVar[Any]
    """A valid YAML value, for the docs and the registry's own tests."""
    filled: ClassVar[tuple[str, ...]] = ()
    """Fields whose text has its `{placeholders}` filled when the action runs (the validator checks
    them as it checks a template's)."""
    literal_braces: ClassVar[bool] = False
    """Whether braces around anything but a context path stay as written in those fields (a CRM
    value may be JSON text)."""

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        """`{kind: value}` as written in a pack -> this model's fields."""
        if isinstance(data, dict) and set(data) == {cls.kind}:
            return cls._fields_of(data[cls.kind])
        return data

    @classmethod
    def _fields_of(cls, value: Any) -> Any:
        return value

    @model_serializer(mode="wrap")
    def _wrap(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Back to the one-key form, so a pack's canonical JSON (and its hash) reads as it was written."""
        return {self.kind: self._value_of(handler(self))}

    def _value_of(self, fields: dict[str, Any]) -> Any:
        return fields

    def describe(self) -> dict[str, Any]:
        """`{"type": kind, ...}`: the action in decision records and rule-test expectations."""
        return {"type": self.kind, **self.model_dump(mode="json", exclude_none=True)[self.kind]}

    def check(self, pack: RulePack) -> Iterator[tuple[str, str]]:
        """(path below the action, problem) for what the pack lacks; nothing by default."""
        return iter(())

    async def execute(self, port: ActionPort) -> ActionResult:
        """Do it, through the workflow's port."""
        raise NotImplementedError(f"{self.kind} has no execute")

    def simulate(self, sim: Simulated) -> None:
        """Do it on paper."""
        raise NotImplementedError(f"{self.kind} has no simulate")


class ScalarAction(ActionBase):
    """An action whose YAML value is one plain value (`- route: billing`), held in `value`."""

    value: Any

    @classmethod
    def _fields_of(cls, value: Any) -> Any:
        return {"value": value}

    def _value_of(self, fields: dict[str, Any]) -> Any:
        return fields["value"]

    def describe(self) -> dict[str, Any]:
        return {"type": self.kind, "value": self.model_dump(mode="json")[self.kind]}
