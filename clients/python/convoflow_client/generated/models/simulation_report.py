from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.simulated_conversation import SimulatedConversation
    from ..models.simulation_totals import SimulationTotals


T = TypeVar("T", bound="SimulationReport")


@_attrs_define
class SimulationReport:
    """`POST /v1/rules/simulate`: what the pack would have done to the recorded conversations.

    Attributes:
        conversations (list[SimulatedConversation]):
        totals (SimulationTotals):
    """

    conversations: list[SimulatedConversation]
    totals: SimulationTotals
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversations = []
        for conversations_item_data in self.conversations:
            conversations_item = conversations_item_data.to_dict()
            conversations.append(conversations_item)

        totals = self.totals.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversations": conversations,
                "totals": totals,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.simulated_conversation import SimulatedConversation  # noqa: PLC0415
        from ..models.simulation_totals import SimulationTotals  # noqa: PLC0415

        d = dict(src_dict)
        conversations = []
        _conversations = d.pop("conversations")
        for conversations_item_data in _conversations:
            conversations_item = SimulatedConversation.from_dict(conversations_item_data)

            conversations.append(conversations_item)

        totals = SimulationTotals.from_dict(d.pop("totals"))

        simulation_report = cls(
            conversations=conversations,
            totals=totals,
        )

        simulation_report.additional_properties = d
        return simulation_report

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
