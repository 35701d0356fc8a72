from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.case_totals import CaseTotals
    from ..models.coverage_summary import CoverageSummary
    from ..models.covered_pack import CoveredPack
    from ..models.rule_coverage import RuleCoverage
    from ..models.traffic_counted import TrafficCounted


T = TypeVar("T", bound="CoverageReport")


@_attrs_define
class CoverageReport:
    """`POST /v1/rules/coverage`: which rules and branches the test cases exercise, and with
    `traffic`, how often each rule fired in the period.

        Attributes:
            pack (CoveredPack):
            tests (CaseTotals):
            summary (CoverageSummary):
            rules (list[RuleCoverage]):
            traffic (None | TrafficCounted):
    """

    pack: CoveredPack
    tests: CaseTotals
    summary: CoverageSummary
    rules: list[RuleCoverage]
    traffic: None | TrafficCounted
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.traffic_counted import TrafficCounted  # noqa: PLC0415

        pack = self.pack.to_dict()

        tests = self.tests.to_dict()

        summary = self.summary.to_dict()

        rules = []
        for rules_item_data in self.rules:
            rules_item = rules_item_data.to_dict()
            rules.append(rules_item)

        traffic: dict[str, Any] | None
        if isinstance(self.traffic, TrafficCounted):
            traffic = self.traffic.to_dict()
        else:
            traffic = self.traffic

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "pack": pack,
                "tests": tests,
                "summary": summary,
                "rules": rules,
                "traffic": traffic,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.case_totals import CaseTotals  # noqa: PLC0415
        from ..models.coverage_summary import CoverageSummary  # noqa: PLC0415
        from ..models.covered_pack import CoveredPack  # noqa: PLC0415
        from ..models.rule_coverage import RuleCoverage  # noqa: PLC0415
        from ..models.traffic_counted import TrafficCounted  # noqa: PLC0415

        d = dict(src_dict)
        pack = CoveredPack.from_dict(d.pop("pack"))

        tests = CaseTotals.from_dict(d.pop("tests"))

        summary = CoverageSummary.from_dict(d.pop("summary"))

        rules = []
        _rules = d.pop("rules")
        for rules_item_data in _rules:
            rules_item = RuleCoverage.from_dict(rules_item_data)

            rules.append(rules_item)

        def _parse_traffic(data: object) -> None | TrafficCounted:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                traffic_type_0 = TrafficCounted.from_dict(data)

                return traffic_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TrafficCounted, data)

        traffic = _parse_traffic(d.pop("traffic"))

        coverage_report = cls(
            pack=pack,
            tests=tests,
            summary=summary,
            rules=rules,
            traffic=traffic,
        )

        coverage_report.additional_properties = d
        return coverage_report

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
