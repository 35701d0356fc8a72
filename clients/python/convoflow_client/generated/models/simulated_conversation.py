from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.simulated_event import SimulatedEvent


T = TypeVar("T", bound="SimulatedConversation")


@_attrs_define
class SimulatedConversation:
    """
    Attributes:
        id (str):
        events (list[SimulatedEvent]): The decisions on its events from outside, each followed by those on the status
            changes it makes.
    """

    id: str
    events: list[SimulatedEvent]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        events = []
        for events_item_data in self.events:
            events_item = events_item_data.to_dict()
            events.append(events_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "events": events,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.simulated_event import SimulatedEvent  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        events = []
        _events = d.pop("events")
        for events_item_data in _events:
            events_item = SimulatedEvent.from_dict(events_item_data)

            events.append(events_item)

        simulated_conversation = cls(
            id=id,
            events=events,
        )

        simulated_conversation.additional_properties = d
        return simulated_conversation

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
