from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.simulation_totals_routed import SimulationTotalsRouted
    from ..models.simulation_totals_tags import SimulationTotalsTags


T = TypeVar("T", bound="SimulationTotals")


@_attrs_define
class SimulationTotals:
    """
    Attributes:
        conversations (int):
        events (int):
        tagged (int):
        replied (int):
        escalated (int):
        surveyed (int):
        closed (int):
        errors (int): Rule conditions that failed to evaluate.
        routed (SimulationTotalsRouted): Conversations per team they would end up routed to.
        tags (SimulationTotalsTags):
    """

    conversations: int
    events: int
    tagged: int
    replied: int
    escalated: int
    surveyed: int
    closed: int
    errors: int
    routed: SimulationTotalsRouted
    tags: SimulationTotalsTags
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversations = self.conversations

        events = self.events

        tagged = self.tagged

        replied = self.replied

        escalated = self.escalated

        surveyed = self.surveyed

        closed = self.closed

        errors = self.errors

        routed = self.routed.to_dict()

        tags = self.tags.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversations": conversations,
                "events": events,
                "tagged": tagged,
                "replied": replied,
                "escalated": escalated,
                "surveyed": surveyed,
                "closed": closed,
                "errors": errors,
                "routed": routed,
                "tags": tags,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.simulation_totals_routed import SimulationTotalsRouted  # noqa: PLC0415
        from ..models.simulation_totals_tags import SimulationTotalsTags  # noqa: PLC0415

        d = dict(src_dict)
        conversations = d.pop("conversations")

        events = d.pop("events")

        tagged = d.pop("tagged")

        replied = d.pop("replied")

        escalated = d.pop("escalated")

        surveyed = d.pop("surveyed")

        closed = d.pop("closed")

        errors = d.pop("errors")

        routed = SimulationTotalsRouted.from_dict(d.pop("routed"))

        tags = SimulationTotalsTags.from_dict(d.pop("tags"))

        simulation_totals = cls(
            conversations=conversations,
            events=events,
            tagged=tagged,
            replied=replied,
            escalated=escalated,
            surveyed=surveyed,
            closed=closed,
            errors=errors,
            routed=routed,
            tags=tags,
        )

        simulation_totals.additional_properties = d
        return simulation_totals

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
