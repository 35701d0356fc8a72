from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="RuleTraffic")


@_attrs_define
class RuleTraffic:
    """
    Attributes:
        fired (int): Decisions it matched in (its actions were decided).
        evaluated (int): Decisions that evaluated it (matched, not matched or failed; not those after a `stop`).
        failed (int): Decisions its condition failed to evaluate in.
        conversations (int): Conversations it fired in at least once.
    """

    fired: int
    evaluated: int
    failed: int
    conversations: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        fired = self.fired

        evaluated = self.evaluated

        failed = self.failed

        conversations = self.conversations

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "fired": fired,
                "evaluated": evaluated,
                "failed": failed,
                "conversations": conversations,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        fired = d.pop("fired")

        evaluated = d.pop("evaluated")

        failed = d.pop("failed")

        conversations = d.pop("conversations")

        rule_traffic = cls(
            fired=fired,
            evaluated=evaluated,
            failed=failed,
            conversations=conversations,
        )

        rule_traffic.additional_properties = d
        return rule_traffic

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
