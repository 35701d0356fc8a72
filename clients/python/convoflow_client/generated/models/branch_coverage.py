from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.uncovered_branch import UncoveredBranch


T = TypeVar("T", bound="BranchCoverage")


@_attrs_define
class BranchCoverage:
    """
    Attributes:
        covered (int):
        total (int):
        uncovered (list[UncoveredBranch]):
    """

    covered: int
    total: int
    uncovered: list[UncoveredBranch]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        covered = self.covered

        total = self.total

        uncovered = []
        for uncovered_item_data in self.uncovered:
            uncovered_item = uncovered_item_data.to_dict()
            uncovered.append(uncovered_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "covered": covered,
                "total": total,
                "uncovered": uncovered,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.uncovered_branch import UncoveredBranch  # noqa: PLC0415

        d = dict(src_dict)
        covered = d.pop("covered")

        total = d.pop("total")

        uncovered = []
        _uncovered = d.pop("uncovered")
        for uncovered_item_data in _uncovered:
            uncovered_item = UncoveredBranch.from_dict(uncovered_item_data)

            uncovered.append(uncovered_item)

        branch_coverage = cls(
            covered=covered,
            total=total,
            uncovered=uncovered,
        )

        branch_coverage.additional_properties = d
        return branch_coverage

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
