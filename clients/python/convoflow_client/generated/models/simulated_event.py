from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.simulated_event_actions_item import SimulatedEventActionsItem


T = TypeVar("T", bound="SimulatedEvent")


@_attrs_define
class SimulatedEvent:
    """
    Attributes:
        event (str):
        matched (list[str]):
        actions (list[SimulatedEventActionsItem]):
    """

    event: str
    matched: list[str]
    actions: list[SimulatedEventActionsItem]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        event = self.event

        matched = self.matched

        actions = []
        for actions_item_data in self.actions:
            actions_item = actions_item_data.to_dict()
            actions.append(actions_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "event": event,
                "matched": matched,
                "actions": actions,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.simulated_event_actions_item import SimulatedEventActionsItem  # noqa: PLC0415

        d = dict(src_dict)
        event = d.pop("event")

        matched = cast(list[str], d.pop("matched"))

        actions = []
        _actions = d.pop("actions")
        for actions_item_data in _actions:
            actions_item = SimulatedEventActionsItem.from_dict(actions_item_data)

            actions.append(actions_item)

        simulated_event = cls(
            event=event,
            matched=matched,
            actions=actions,
        )

        simulated_event.additional_properties = d
        return simulated_event

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
