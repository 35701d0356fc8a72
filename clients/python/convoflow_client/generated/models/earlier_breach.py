from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="EarlierBreach")


@_attrs_define
class EarlierBreach:
    """A target that breached, then gave way to a new clock of its name (the next response to a later
    message, the resolution of a reopen, a changed policy's): its breach still counts for the thread.

        Attributes:
            target (str):
            breached_at (datetime.datetime):
    """

    target: str
    breached_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        target = self.target

        breached_at = self.breached_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "target": target,
                "breached_at": breached_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        target = d.pop("target")

        breached_at = datetime.datetime.fromisoformat(d.pop("breached_at"))

        earlier_breach = cls(
            target=target,
            breached_at=breached_at,
        )

        earlier_breach.additional_properties = d
        return earlier_breach

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
