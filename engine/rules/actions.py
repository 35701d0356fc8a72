"""The actions a rule can take, each a small typed model written as a one-key mapping in YAML:

    then:
      - reply: {template: acknowledgement}
      - add_tags: [billing]
      - route: billing

The workflow executes them in order; the decision record lists them as `{"type": ..., ...}`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from engine.rules.context import Priority


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reply(_Action):
    template: str = Field(description="Template name; the conversation's language picks the text.")
    auto: bool = Field(default=True, description="An automatic reply (never sent to automated senders).")


class Notify(_Action):
    team: str | None = None
    agent: str | None = None
    email: str | None = None
    webhook: str | None = None
    template: str | None = None
    message: str | None = Field(default=None, max_length=2000)


class Assign(_Action):
    strategy: Literal["round_robin", "least_loaded", "agent"] = "round_robin"
    agent: str | None = None


class Escalate(_Action):
    level: int = Field(ge=1, le=10)


class UpdateCrm(_Action):
    field: str = Field(min_length=1)
    value: Any = None


class AddNote(_Action):
    text: str = Field(min_length=1, max_length=5000)


class ScheduleSurvey(_Action):
    delay_minutes: int | None = Field(default=None, ge=0)


class Snooze(_Action):
    minutes: int = Field(ge=1)


class CallWebhook(_Action):
    url: str = Field(pattern=r"^https?://")
    payload: dict[str, Any] = Field(default_factory=dict)


class Close(_Action):
    pass


# Each action kind: its YAML key and the model (or plain type) of its value.
ACTION_KINDS: dict[str, Any] = {
    "reply": Reply,
    "add_tags": list[Annotated[str, Field(min_length=1, max_length=64)]],
    "remove_tags": list[Annotated[str, Field(min_length=1, max_length=64)]],
    "set_priority": Priority,
    "route": Annotated[str, Field(min_length=1)],
    "assign": Assign,
    "apply_sla": Annotated[str, Field(min_length=1)],
    "escalate": Escalate,
    "notify": Notify,
    "update_crm": UpdateCrm,
    "add_note": AddNote,
    "schedule_survey": ScheduleSurvey,
    "snooze": Snooze,
    "set_status": Literal["open", "pending", "on_hold", "solved", "closed"],
    "close": Close,
    "call_webhook": CallWebhook,
}


def _one_key_model(kind: str, value_type: Any) -> type[BaseModel]:
    return type(
        f"{kind.title().replace('_', '')}Action",
        (_Action,),
        {"__annotations__": {kind: value_type}, "__module__": __name__},
    )


ACTION_MODELS = {kind: _one_key_model(kind, t) for kind, t in ACTION_KINDS.items()}


def action_kind(value: Any) -> str | None:
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return key if key in ACTION_MODELS else None
    if isinstance(value, BaseModel):
        return next(iter(type(value).model_fields))
    return None


# One union of the one-key models, told apart by their key (a clear "unknown action" otherwise).
Action = Annotated[
    Union[tuple(Annotated[model, Tag(kind)] for kind, model in ACTION_MODELS.items())],  # noqa: UP007
    Discriminator(action_kind),
]


def describe(action: BaseModel) -> dict[str, Any]:
    """`{"type": kind, ...value}` for decision records and test expectations."""
    kind = action_kind(action)
    value = getattr(action, kind)
    if isinstance(value, BaseModel):
        return {"type": kind, **value.model_dump(mode="json", exclude_none=True)}
    return {"type": kind, "value": value.value if hasattr(value, "value") else value}


# Events an action raises, for the loop check: the workflow re-evaluates rules for them.
RAISES = {
    "set_status": "status.changed",
    "close": "status.changed",
    "assign": "conversation.assigned",
    "escalate": None,
}
