"""The registry of action kinds, derived from the classes: lookup by kind, the YAML union, records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Discriminator, Tag

from engine.rules.actions.base import ActionBase, ScalarAction
from engine.rules.actions.kinds import KINDS

ACTIONS: dict[str, type[ActionBase]] = {cls.kind: cls for cls in KINDS}


def action_kind(value: Any) -> str | None:
    """The kind of a one-key mapping from a pack, or of an action model; None for anything else."""
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return key if key in ACTIONS else None
    if isinstance(value, ActionBase):
        return value.kind
    return None


if TYPE_CHECKING:
    Action = ActionBase
else:
    # One union of the kinds, told apart by their key (a clear "unknown action" otherwise).
    Action = Annotated[
        Union[tuple(Annotated[cls, Tag(kind)] for kind, cls in ACTIONS.items())],  # noqa: UP007
        Discriminator(action_kind),
    ]


def from_record(record: dict[str, Any]) -> ActionBase:
    """The action a decision record describes (`{"type": kind, ...}`), e.g. as history carries it."""
    cls = ACTIONS[record["type"]]
    body = {k: v for k, v in record.items() if k != "type"}
    return cls.model_validate({cls.kind: body["value"] if issubclass(cls, ScalarAction) else body})
