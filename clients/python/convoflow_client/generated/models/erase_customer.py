from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="EraseCustomer")


@_attrs_define
class EraseCustomer:
    """
    Attributes:
        addresses (list[str]): The customer's email addresses, phone numbers (any written form: `+49 151 ...`,
            `0049151...`) and chat handles, each compared as the channels compare them.
        actor (None | str | Unset): Who asked (a case number, the officer): kept on the record.
        dry_run (bool | Unset): Only say what would be erased (200), erasing nothing. Default: False.
    """

    addresses: list[str]
    actor: None | str | Unset = UNSET
    dry_run: bool | Unset = False

    def to_dict(self) -> dict[str, Any]:
        addresses = self.addresses

        actor: None | str | Unset
        if isinstance(self.actor, Unset):
            actor = UNSET
        else:
            actor = self.actor

        dry_run = self.dry_run

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "addresses": addresses,
            }
        )
        if actor is not UNSET:
            field_dict["actor"] = actor
        if dry_run is not UNSET:
            field_dict["dry_run"] = dry_run

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        addresses = cast(list[str], d.pop("addresses"))

        def _parse_actor(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        actor = _parse_actor(d.pop("actor", UNSET))

        dry_run = d.pop("dry_run", UNSET)

        erase_customer = cls(
            addresses=addresses,
            actor=actor,
            dry_run=dry_run,
        )

        return erase_customer
