from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="IntentGate")


@_attrs_define
class IntentGate:
    """The pack's `triage.min_precision` and `min_recall` (null: not set, nothing refused).

    Attributes:
        min_precision (float | None):
        min_recall (float | None):
    """

    min_precision: float | None
    min_recall: float | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        min_precision: float | None
        min_precision = self.min_precision

        min_recall: float | None
        min_recall = self.min_recall

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "min_precision": min_precision,
                "min_recall": min_recall,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_min_precision(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        min_precision = _parse_min_precision(d.pop("min_precision"))

        def _parse_min_recall(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        min_recall = _parse_min_recall(d.pop("min_recall"))

        intent_gate = cls(
            min_precision=min_precision,
            min_recall=min_recall,
        )

        intent_gate.additional_properties = d
        return intent_gate

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
