from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.branch_coverage import BranchCoverage
    from ..models.rule_cases import RuleCases
    from ..models.rule_traffic import RuleTraffic


T = TypeVar("T", bound="RuleCoverage")


@_attrs_define
class RuleCoverage:
    """
    Attributes:
        id (str):
        path (str):
        on (list[str]):
        tested (bool):
        cases (RuleCases):
        branches (BranchCoverage):
        traffic (None | RuleTraffic): Null unless the request asked for `traffic`.
    """

    id: str
    path: str
    on: list[str]
    tested: bool
    cases: RuleCases
    branches: BranchCoverage
    traffic: None | RuleTraffic
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.rule_traffic import RuleTraffic  # noqa: PLC0415

        id = self.id

        path = self.path

        on = self.on

        tested = self.tested

        cases = self.cases.to_dict()

        branches = self.branches.to_dict()

        traffic: dict[str, Any] | None
        if isinstance(self.traffic, RuleTraffic):
            traffic = self.traffic.to_dict()
        else:
            traffic = self.traffic

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "path": path,
                "on": on,
                "tested": tested,
                "cases": cases,
                "branches": branches,
                "traffic": traffic,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.branch_coverage import BranchCoverage  # noqa: PLC0415
        from ..models.rule_cases import RuleCases  # noqa: PLC0415
        from ..models.rule_traffic import RuleTraffic  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        path = d.pop("path")

        on = cast(list[str], d.pop("on"))

        tested = d.pop("tested")

        cases = RuleCases.from_dict(d.pop("cases"))

        branches = BranchCoverage.from_dict(d.pop("branches"))

        def _parse_traffic(data: object) -> None | RuleTraffic:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                traffic_type_0 = RuleTraffic.from_dict(data)

                return traffic_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RuleTraffic, data)

        traffic = _parse_traffic(d.pop("traffic"))

        rule_coverage = cls(
            id=id,
            path=path,
            on=on,
            tested=tested,
            cases=cases,
            branches=branches,
            traffic=traffic,
        )

        rule_coverage.additional_properties = d
        return rule_coverage

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
