from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SettingChange")


@_attrs_define
class SettingChange:
    """One change of a tenant setting.

    Attributes:
        setting (str):
        value (Any):
        changed_by (None | str): `api:<tenant>/<key>` or `cli:<user>`.
        changed_at (str): ISO instant.
    """

    setting: str
    value: Any
    changed_by: None | str
    changed_at: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        setting = self.setting

        value = self.value

        changed_by: None | str
        changed_by = self.changed_by

        changed_at = self.changed_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "setting": setting,
                "value": value,
                "changed_by": changed_by,
                "changed_at": changed_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        setting = d.pop("setting")

        value = d.pop("value")

        def _parse_changed_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        changed_by = _parse_changed_by(d.pop("changed_by"))

        changed_at = d.pop("changed_at")

        setting_change = cls(
            setting=setting,
            value=value,
            changed_by=changed_by,
            changed_at=changed_at,
        )

        setting_change.additional_properties = d
        return setting_change

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
