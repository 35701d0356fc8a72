from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.shadow_candidate import ShadowCandidate


T = TypeVar("T", bound="ShadowShown")


@_attrs_define
class ShadowShown:
    """`GET /v1/rules/shadow`.

    Attributes:
        shadow (None | ShadowCandidate):
    """

    shadow: None | ShadowCandidate
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.shadow_candidate import ShadowCandidate  # noqa: PLC0415

        shadow: dict[str, Any] | None
        if isinstance(self.shadow, ShadowCandidate):
            shadow = self.shadow.to_dict()
        else:
            shadow = self.shadow

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "shadow": shadow,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.shadow_candidate import ShadowCandidate  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_shadow(data: object) -> None | ShadowCandidate:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                shadow_type_0 = ShadowCandidate.from_dict(data)

                return shadow_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ShadowCandidate, data)

        shadow = _parse_shadow(d.pop("shadow"))

        shadow_shown = cls(
            shadow=shadow,
        )

        shadow_shown.additional_properties = d
        return shadow_shown

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
