from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.pack_request_pack_type_1 import PackRequestPackType1


T = TypeVar("T", bound="PackRequest")


@_attrs_define
class PackRequest:
    """
    Attributes:
        pack (PackRequestPackType1 | str): The pack as YAML text or a JSON object, or the hash (7+ digits) of a version
            the tenant published, with the tests it was published with (to publish it: a rollback).
    """

    pack: PackRequestPackType1 | str

    def to_dict(self) -> dict[str, Any]:
        from ..models.pack_request_pack_type_1 import PackRequestPackType1  # noqa: PLC0415

        pack: dict[str, Any] | str
        if isinstance(self.pack, PackRequestPackType1):
            pack = self.pack.to_dict()
        else:
            pack = self.pack

        field_dict: dict[str, Any] = {}

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

        return pack_request
