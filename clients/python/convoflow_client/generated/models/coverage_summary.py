from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.branch_totals import BranchTotals


T = TypeVar("T", bound="CoverageSummary")


@_attrs_define
class CoverageSummary:
    """
    Attributes:
        rules (int):
        tested (int):
        untested (list[str]):
        branches (BranchTotals):
        never_fired (list[str] | None): With `traffic`: the rules that fired on none of the period's decisions.
    """

    rules: int
    tested: int
    untested: list[str]
    branches: BranchTotals
    never_fired: list[str] | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        rules = self.rules

        tested = self.tested

        untested = self.untested

        branches = self.branches.to_dict()

        never_fired: list[str] | None
        if isinstance(self.never_fired, list):
            never_fired = self.never_fired

        else:
            never_fired = self.never_fired

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "rules": rules,
                "tested": tested,
                "untested": untested,
                "branches": branches,
                "never_fired": never_fired,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.branch_totals import BranchTotals  # noqa: PLC0415

        d = dict(src_dict)
        rules = d.pop("rules")

        tested = d.pop("tested")

        untested = cast(list[str], d.pop("untested"))

        branches = BranchTotals.from_dict(d.pop("branches"))

        def _parse_never_fired(data: object) -> list[str] | None:
            if data is None:
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                never_fired_type_0 = cast(list[str], data)

                return never_fired_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None, data)

        never_fired = _parse_never_fired(d.pop("never_fired"))

        coverage_summary = cls(
            rules=rules,
            tested=tested,
            untested=untested,
            branches=branches,
            never_fired=never_fired,
        )

        coverage_summary.additional_properties = d
        return coverage_summary

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
