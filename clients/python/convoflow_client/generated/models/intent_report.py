from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.intent_gate import IntentGate
    from ..models.intent_score import IntentScore


T = TypeVar("T", bound="IntentReport")


@_attrs_define
class IntentReport:
    """The pack's intent model, cross-validated on its own examples.

    Attributes:
        model (str):
        folds (int):
        intents (list[IntentScore]):
        gate (IntentGate): The pack's `triage.min_precision` and `min_recall` (null: not set, nothing refused).
    """

    model: str
    folds: int
    intents: list[IntentScore]
    gate: IntentGate
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model = self.model

        folds = self.folds

        intents = []
        for intents_item_data in self.intents:
            intents_item = intents_item_data.to_dict()
            intents.append(intents_item)

        gate = self.gate.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "model": model,
                "folds": folds,
                "intents": intents,
                "gate": gate,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.intent_gate import IntentGate  # noqa: PLC0415
        from ..models.intent_score import IntentScore  # noqa: PLC0415

        d = dict(src_dict)
        model = d.pop("model")

        folds = d.pop("folds")

        intents = []
        _intents = d.pop("intents")
        for intents_item_data in _intents:
            intents_item = IntentScore.from_dict(intents_item_data)

            intents.append(intents_item)

        gate = IntentGate.from_dict(d.pop("gate"))

        intent_report = cls(
            model=model,
            folds=folds,
            intents=intents,
            gate=gate,
        )

        intent_report.additional_properties = d
        return intent_report

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
