from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.coverage_request_pack_type_1 import CoverageRequestPackType1
    from ..models.traffic_request import TrafficRequest


T = TypeVar("T", bound="CoverageRequest")


@_attrs_define
class CoverageRequest:
    """
    Attributes:
        pack (CoverageRequestPackType1 | str): The pack as YAML text or a JSON object.
        traffic (None | TrafficRequest | Unset): Also count how often each rule fired on the tenant's recorded
            decisions.
    """

    pack: CoverageRequestPackType1 | str
    traffic: None | TrafficRequest | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.coverage_request_pack_type_1 import CoverageRequestPackType1  # noqa: PLC0415
        from ..models.traffic_request import TrafficRequest  # noqa: PLC0415

        pack: dict[str, Any] | str
        if isinstance(self.pack, CoverageRequestPackType1):
            pack = self.pack.to_dict()
        else:
            pack = self.pack

        traffic: dict[str, Any] | None | Unset
        if isinstance(self.traffic, Unset):
            traffic = UNSET
        elif isinstance(self.traffic, TrafficRequest):
            traffic = self.traffic.to_dict()
        else:
            traffic = self.traffic

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "pack": pack,
            }
        )
        if traffic is not UNSET:
            field_dict["traffic"] = traffic

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.coverage_request_pack_type_1 import CoverageRequestPackType1  # noqa: PLC0415
        from ..models.traffic_request import TrafficRequest  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_pack(data: object) -> CoverageRequestPackType1 | str:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pack_type_1 = CoverageRequestPackType1.from_dict(data)

                return pack_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CoverageRequestPackType1 | str, data)

        pack = _parse_pack(d.pop("pack"))

        def _parse_traffic(data: object) -> None | TrafficRequest | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                traffic_type_0 = TrafficRequest.from_dict(data)

                return traffic_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TrafficRequest | Unset, data)

        traffic = _parse_traffic(d.pop("traffic", UNSET))

        coverage_request = cls(
            pack=pack,
            traffic=traffic,
        )

        coverage_request.additional_properties = d
        return coverage_request

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
