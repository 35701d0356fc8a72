from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ShadowCandidate")


@_attrs_define
class ShadowCandidate:
    """
    Attributes:
        hash_ (str):
        name (str):
        version (str):
        tests (int): How many test cases came with it: promotion runs them.
        published_by (None | str):
        published_at (str):
    """

    hash_: str
    name: str
    version: str
    tests: int
    published_by: None | str
    published_at: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        hash_ = self.hash_

        name = self.name

        version = self.version

        tests = self.tests

        published_by: None | str
        published_by = self.published_by

        published_at = self.published_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "hash": hash_,
                "name": name,
                "version": version,
                "tests": tests,
                "published_by": published_by,
                "published_at": published_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        hash_ = d.pop("hash")

        name = d.pop("name")

        version = d.pop("version")

        tests = d.pop("tests")

        def _parse_published_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        published_by = _parse_published_by(d.pop("published_by"))

        published_at = d.pop("published_at")

        shadow_candidate = cls(
            hash_=hash_,
            name=name,
            version=version,
            tests=tests,
            published_by=published_by,
            published_at=published_at,
        )

        shadow_candidate.additional_properties = d
        return shadow_candidate

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
