from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.coverage_request_pack_type_1 import CoverageRequestPackType1
    from ..models.traffic_request import TrafficRequest


T = TypeVar("T", bound="CoverageRequest")


@_attrs_define
class CoverageRequest:
    """
    Attributes:
        pack (CoverageRequestPackType1 | str): The pack as YAML text or a JSON object, or the hash (7+ digits) of a
            version the tenant published, with the tests it was published with (to publish it: a rollback).
        traffic (None | TrafficRequest | Unset): Also count how often each rule fired on the tenant's recorded
            decisions.
    """

    pack: CoverageRequestPackType1 | str
    traffic: None | TrafficRequest | Unset = UNSET

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

        return coverage_request
