from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="RotateSubscriptionSecret")


@_attrs_define
class RotateSubscriptionSecret:
    """Optional body of a rotation.

    Attributes:
        overlap_hours (float | Unset): How long the previous secret keeps signing beside the new one; 0 retires it at
            once (a leak). Default: 24.0.
    """

    overlap_hours: float | Unset = 24.0

    def to_dict(self) -> dict[str, Any]:
        overlap_hours = self.overlap_hours

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if overlap_hours is not UNSET:
            field_dict["overlap_hours"] = overlap_hours

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        overlap_hours = d.pop("overlap_hours", UNSET)

        rotate_subscription_secret = cls(
            overlap_hours=overlap_hours,
        )

        return rotate_subscription_secret
