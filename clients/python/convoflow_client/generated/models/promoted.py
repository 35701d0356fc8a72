from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Promoted")


@_attrs_define
class Promoted:
    """`POST /v1/rules/shadow/promote`: the shadow pack is active.

    Attributes:
        hash_ (str):
        active (bool):
        promoted_by (str):
    """

    hash_: str
    active: bool
    promoted_by: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        hash_ = self.hash_

        active = self.active

        promoted_by = self.promoted_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "hash": hash_,
                "active": active,
                "promoted_by": promoted_by,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        hash_ = d.pop("hash")

        active = d.pop("active")

        promoted_by = d.pop("promoted_by")

        promoted = cls(
            hash_=hash_,
            active=active,
            promoted_by=promoted_by,
        )

        promoted.additional_properties = d
        return promoted

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
