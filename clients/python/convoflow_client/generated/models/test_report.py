from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.case_outcome import CaseOutcome
    from ..models.intent_report import IntentReport


T = TypeVar("T", bound="TestReport")


@_attrs_define
class TestReport:
    """`POST /v1/rules/test`: each test case of the pack, run.

    Attributes:
        passed (int):
        failed (int):
        cases (list[CaseOutcome]):
        intents (IntentReport | None): Null for a pack without intents.
    """

    passed: int
    failed: int
    cases: list[CaseOutcome]
    intents: IntentReport | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.intent_report import IntentReport  # noqa: PLC0415

        passed = self.passed

        failed = self.failed

        cases = []
        for cases_item_data in self.cases:
            cases_item = cases_item_data.to_dict()
            cases.append(cases_item)

        intents: dict[str, Any] | None
        if isinstance(self.intents, IntentReport):
            intents = self.intents.to_dict()
        else:
            intents = self.intents

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "passed": passed,
                "failed": failed,
                "cases": cases,
                "intents": intents,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.case_outcome import CaseOutcome  # noqa: PLC0415
        from ..models.intent_report import IntentReport  # noqa: PLC0415

        d = dict(src_dict)
        passed = d.pop("passed")

        failed = d.pop("failed")

        cases = []
        _cases = d.pop("cases")
        for cases_item_data in _cases:
            cases_item = CaseOutcome.from_dict(cases_item_data)

            cases.append(cases_item)

        def _parse_intents(data: object) -> IntentReport | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                intents_type_0 = IntentReport.from_dict(data)

                return intents_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(IntentReport | None, data)

        intents = _parse_intents(d.pop("intents"))

        test_report = cls(
            passed=passed,
            failed=failed,
            cases=cases,
            intents=intents,
        )

        test_report.additional_properties = d
        return test_report

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
