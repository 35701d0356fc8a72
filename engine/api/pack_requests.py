"""The bodies of the /v1/rules requests: a pack, as YAML text or as a JSON object, and what
simulate, diff and coverage take besides it. Decoded and validated in a pack worker process
(engine/api/pack_jobs.py), whose answers name these fields.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationError, ValidatorFunctionWrapHandler, WrapValidator

from engine.api.schemas import Strict
from engine.rules.coverage.period import MAX_CONVERSATIONS
from engine.rules.simulation import RecordedConversation


def _text_or_object(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """One error for a value neither kind: pydantic named each kind tried (`pack.str`,
    `pack.dict[str,any]`), fields a request does not have."""
    try:
        return handler(value)
    except ValidationError:
        raise ValueError("must be the pack as YAML text or as a JSON object") from None


PackValue = Annotated[str | dict[str, Any], WrapValidator(_text_or_object)]


class PackRequest(Strict):
    pack: PackValue = Field(
        description="The pack as YAML text or a JSON object, or the hash (7+ digits) of a version the "
        "tenant published, with the tests it was published with (to publish it: a rollback)."
    )


class SimulateRequest(PackRequest):
    conversations: list[RecordedConversation] = Field(max_length=5000)


class TrafficRequest(Strict):
    """Which recorded traffic a coverage report counts: the caller's tenant's decisions in a period."""

    from_: str | None = Field(
        default=None, alias="from", description="ISO time or date (default: 7 days before `to`)."
    )
    to: str | None = Field(default=None, description="ISO time or date, exclusive (default: now).")
    conversations: int | None = Field(
        default=None,
        ge=1,
        le=MAX_CONVERSATIONS,
        strict=True,
        description="Read at most this many conversations, the latest first (default 500).",
    )


class CoverageRequest(PackRequest):
    traffic: TrafficRequest | None = Field(
        default=None, description="Also count how often each rule fired on the tenant's recorded decisions."
    )


class DiffRequest(Strict):
    old: PackValue
    new: PackValue
    conversations: list[RecordedConversation] = Field(max_length=5000)
