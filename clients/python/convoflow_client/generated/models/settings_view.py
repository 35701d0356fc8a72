from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.retention_sweeps import RetentionSweeps
    from ..models.setting_change import SettingChange


T = TypeVar("T", bound="SettingsView")


@_attrs_define
class SettingsView:
    """The tenant's settings, with every change (who, when, to what), newest first.

    Attributes:
        require_approval (bool): Four-eyes publishing: a publish or promotion waits for a second key's approval.
        retention_days (int | None): Days a closed conversation is kept after its last activity; null: kept for ever.
        retention (RetentionSweeps): The workers' sweeps of the tenant's closed conversations past `retention_days`.
        changes (list[SettingChange]):
    """

    require_approval: bool
    retention_days: int | None
    retention: RetentionSweeps
    changes: list[SettingChange]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        require_approval = self.require_approval

        retention_days: int | None
        retention_days = self.retention_days

        retention = self.retention.to_dict()

        changes = []
        for changes_item_data in self.changes:
            changes_item = changes_item_data.to_dict()
            changes.append(changes_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "require_approval": require_approval,
                "retention_days": retention_days,
                "retention": retention,
                "changes": changes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.retention_sweeps import RetentionSweeps  # noqa: PLC0415
        from ..models.setting_change import SettingChange  # noqa: PLC0415

        d = dict(src_dict)
        require_approval = d.pop("require_approval")

        def _parse_retention_days(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        retention_days = _parse_retention_days(d.pop("retention_days"))

        retention = RetentionSweeps.from_dict(d.pop("retention"))

        changes = []
        _changes = d.pop("changes")
        for changes_item_data in _changes:
            changes_item = SettingChange.from_dict(changes_item_data)

            changes.append(changes_item)

        settings_view = cls(
            require_approval=require_approval,
            retention_days=retention_days,
            retention=retention,
            changes=changes,
        )

        settings_view.additional_properties = d
        return settings_view

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
