from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.sla_view_targets_additional_property import SlaViewTargetsAdditionalProperty


T = TypeVar("T", bound="SlaViewTargets")


@_attrs_define
class SlaViewTargets:
    """Each target's clock (first_response, next_response, resolution): `deadline` while it runs; `remaining_minutes` the
    business minutes it had left when it last paused or (re)started, not a live count (the rule context's
    `sla.*_remaining_minutes` is), 0 once breached and null once met (`met_at`); `paused_at` when it last paused, kept
    after it resumes (`started_at` is later then).

    """

    additional_properties: dict[str, SlaViewTargetsAdditionalProperty] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        for prop_name, prop in self.additional_properties.items():
            field_dict[prop_name] = prop.to_dict()

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.sla_view_targets_additional_property import SlaViewTargetsAdditionalProperty  # noqa: PLC0415

        d = dict(src_dict)
        sla_view_targets = cls()

        additional_properties = {}
        for prop_name, prop_dict in d.items():
            additional_property = SlaViewTargetsAdditionalProperty.from_dict(prop_dict)

            additional_properties[prop_name] = additional_property

        sla_view_targets.additional_properties = additional_properties
        return sla_view_targets

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> SlaViewTargetsAdditionalProperty:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: SlaViewTargetsAdditionalProperty) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
