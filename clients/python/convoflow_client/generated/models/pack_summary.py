from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="PackSummary")


@_attrs_define
class PackSummary:
    """`POST /v1/rules/validate`: the pack is valid (problems answer 422).

    Attributes:
        valid (bool):
        name (str):
        hash_ (str):
        rules (int):
        tests (int):
    """

    valid: bool
    name: str
    hash_: str
    rules: int
    tests: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        valid = self.valid

        name = self.name

        hash_ = self.hash_

        rules = self.rules

        tests = self.tests

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "valid": valid,
                "name": name,
                "hash": hash_,
                "rules": rules,
                "tests": tests,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        valid = d.pop("valid")

        name = d.pop("name")

        hash_ = d.pop("hash")

        rules = d.pop("rules")

        tests = d.pop("tests")

        pack_summary = cls(
            valid=valid,
            name=name,
            hash_=hash_,
            rules=rules,
            tests=tests,
        )

        pack_summary.additional_properties = d
        return pack_summary

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
