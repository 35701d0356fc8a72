from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="IntentScore")


@_attrs_define
class IntentScore:
    """
    Attributes:
        intent (str):
        examples (int):
        precision (float | None): Of the held-out examples classified as this intent, the share that were (null: none
            were).
        recall (float):
        confused_with (None | str): The other intent it is mistaken for most in cross-validation, either way (null:
            never).
        weak (bool): Below the pack's gate (`triage.min_precision`, `min_recall`): `rules check` warns of it.
    """

    intent: str
    examples: int
    precision: float | None
    recall: float
    confused_with: None | str
    weak: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        intent = self.intent

        examples = self.examples

        precision: float | None
        precision = self.precision

        recall = self.recall

        confused_with: None | str
        confused_with = self.confused_with

        weak = self.weak

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "intent": intent,
                "examples": examples,
                "precision": precision,
                "recall": recall,
                "confused_with": confused_with,
                "weak": weak,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        intent = d.pop("intent")

        examples = d.pop("examples")

        def _parse_precision(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        precision = _parse_precision(d.pop("precision"))

        recall = d.pop("recall")

        def _parse_confused_with(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        confused_with = _parse_confused_with(d.pop("confused_with"))

        weak = d.pop("weak")

        intent_score = cls(
            intent=intent,
            examples=examples,
            precision=precision,
            recall=recall,
            confused_with=confused_with,
            weak=weak,
        )

        intent_score.additional_properties = d
        return intent_score

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
