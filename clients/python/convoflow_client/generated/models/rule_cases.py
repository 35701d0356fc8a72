from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="RuleCases")


@_attrs_define
class RuleCases:
    """
    Attributes:
        evaluated (int): Cases whose decision evaluated the rule (it was listening and not after a `stop`).
        matched (list[str]): Names of the cases it matched in.
        failed (list[str]): Names of the cases its condition failed to evaluate in.
        disagreed (list[str]): Cases whose trace did not give the recorded outcome (never expected; covers nothing).
    """

    evaluated: int
    matched: list[str]
    failed: list[str]
    disagreed: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        evaluated = self.evaluated

        matched = self.matched

        failed = self.failed

        disagreed = self.disagreed

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "evaluated": evaluated,
                "matched": matched,
                "failed": failed,
                "disagreed": disagreed,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        evaluated = d.pop("evaluated")

        matched = cast(list[str], d.pop("matched"))

        failed = cast(list[str], d.pop("failed"))

        disagreed = cast(list[str], d.pop("disagreed"))

        rule_cases = cls(
            evaluated=evaluated,
            matched=matched,
            failed=failed,
            disagreed=disagreed,
        )

        rule_cases.additional_properties = d
        return rule_cases

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
