from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.decided_action_action import DecidedActionAction


T = TypeVar("T", bound="DecidedAction")


@_attrs_define
class DecidedAction:
    """One action of a decision record, with the rule that decided it.

    Attributes:
        rule (str):
        action (DecidedActionAction):
    """

    rule: str
    action: DecidedActionAction
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        rule = self.rule

        action = self.action.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "rule": rule,
                "action": action,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.decided_action_action import DecidedActionAction  # noqa: PLC0415

        d = dict(src_dict)
        rule = d.pop("rule")

        action = DecidedActionAction.from_dict(d.pop("action"))

        decided_action = cls(
            rule=rule,
            action=action,
        )

        decided_action.additional_properties = d
        return decided_action

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
