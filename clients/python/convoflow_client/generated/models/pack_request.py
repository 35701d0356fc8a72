from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.pack_request_pack_type_1 import PackRequestPackType1


T = TypeVar("T", bound="PackRequest")


@_attrs_define
class PackRequest:
    """
    Attributes:
        pack (PackRequestPackType1 | str): The pack as YAML text or a JSON object.
    """

    pack: PackRequestPackType1 | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.pack_request_pack_type_1 import PackRequestPackType1  # noqa: PLC0415

        pack: dict[str, Any] | str
        if isinstance(self.pack, PackRequestPackType1):
            pack = self.pack.to_dict()
        else:
            pack = self.pack

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "pack": pack,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.pack_request_pack_type_1 import PackRequestPackType1  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_pack(data: object) -> PackRequestPackType1 | str:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pack_type_1 = PackRequestPackType1.from_dict(data)

                return pack_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(PackRequestPackType1 | str, data)

        pack = _parse_pack(d.pop("pack"))

        pack_request = cls(
            pack=pack,
        )

        pack_request.additional_properties = d
        return pack_request

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
