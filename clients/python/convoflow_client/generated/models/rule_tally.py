from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="RuleTally")


@_attrs_define
class RuleTally:
    """
    Attributes:
        compared (int):
        differ (int):
        rate (float):
        examples (list[str]): Up to 5 conversations where they differ.
        rule (str):
        errors (int): Decisions where the rule's condition failed in the candidate.
    """

    compared: int
    differ: int
    rate: float
    examples: list[str]
    rule: str
    errors: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        compared = self.compared

        differ = self.differ

        rate = self.rate

        examples = self.examples

        rule = self.rule

        errors = self.errors

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "compared": compared,
                "differ": differ,
                "rate": rate,
                "examples": examples,
                "rule": rule,
                "errors": errors,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        compared = d.pop("compared")

        differ = d.pop("differ")

        rate = d.pop("rate")

        examples = cast(list[str], d.pop("examples"))

        rule = d.pop("rule")

        errors = d.pop("errors")

        rule_tally = cls(
            compared=compared,
            differ=differ,
            rate=rate,
            examples=examples,
            rule=rule,
            errors=errors,
        )

        rule_tally.additional_properties = d
        return rule_tally

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
