from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.decision_record import DecisionRecord


T = TypeVar("T", bound="CaseOutcome")


@_attrs_define
class CaseOutcome:
    """
    Attributes:
        name (str):
        passed (bool):
        failures (list[str]): Each difference from what the case expects, in words.
        decision (DecisionRecord): The decision record's schema: what `Decision.model_dump(mode="json")` gives, field
            for field.
    """

    name: str
    passed: bool
    failures: list[str]
    decision: DecisionRecord
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        passed = self.passed

        failures = self.failures

        decision = self.decision.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
                "passed": passed,
                "failures": failures,
                "decision": decision,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.decision_record import DecisionRecord  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        passed = d.pop("passed")

        failures = cast(list[str], d.pop("failures"))

        decision = DecisionRecord.from_dict(d.pop("decision"))

        case_outcome = cls(
            name=name,
            passed=passed,
            failures=failures,
            decision=decision,
        )

        case_outcome.additional_properties = d
        return case_outcome

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
