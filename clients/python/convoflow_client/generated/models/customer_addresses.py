from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="CustomerAddresses")


@_attrs_define
class CustomerAddresses:
    """
    Attributes:
        addresses (list[str]): The customer's email addresses, phone numbers (any written form: `+49 151 ...`,
            `0049151...`) and chat handles, each compared as the channels compare them.
    """

    addresses: list[str]

    def to_dict(self) -> dict[str, Any]:
        addresses = self.addresses

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "addresses": addresses,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        addresses = cast(list[str], d.pop("addresses"))

        customer_addresses = cls(
            addresses=addresses,
        )

        return customer_addresses
