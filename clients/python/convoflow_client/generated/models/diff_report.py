from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.decision_change import DecisionChange


T = TypeVar("T", bound="DiffReport")


@_attrs_define
class DiffReport:
    """`POST /v1/rules/diff`: every recorded event whose actions differ between `old` and `new`.

    Attributes:
        changed_conversations (int):
        changes (list[DecisionChange]):
    """

    changed_conversations: int
    changes: list[DecisionChange]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        changed_conversations = self.changed_conversations

        changes = []
        for changes_item_data in self.changes:
            changes_item = changes_item_data.to_dict()
            changes.append(changes_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "changed_conversations": changed_conversations,
                "changes": changes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.decision_change import DecisionChange  # noqa: PLC0415

        d = dict(src_dict)
        changed_conversations = d.pop("changed_conversations")

        changes = []
        _changes = d.pop("changes")
        for changes_item_data in _changes:
            changes_item = DecisionChange.from_dict(changes_item_data)

            changes.append(changes_item)

        diff_report = cls(
            changed_conversations=changed_conversations,
            changes=changes,
        )

        diff_report.additional_properties = d
        return diff_report

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
