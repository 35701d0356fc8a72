from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Proposed")


@_attrs_define
class Proposed:
    """A publish or promotion of a tenant that requires approval (202): proposed, not active.

    Attributes:
        hash_ (str):
        active (bool):
        proposal_id (str):
        status (str):
        href (str):
        message (str): Who may approve it, and the route to do so.
    """

    hash_: str
    active: bool
    proposal_id: str
    status: str
    href: str
    message: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        hash_ = self.hash_

        active = self.active

        proposal_id = self.proposal_id

        status = self.status

        href = self.href

        message = self.message

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "hash": hash_,
                "active": active,
                "proposal_id": proposal_id,
                "status": status,
                "href": href,
                "message": message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        hash_ = d.pop("hash")

        active = d.pop("active")

        proposal_id = d.pop("proposal_id")

        status = d.pop("status")

        href = d.pop("href")

        message = d.pop("message")

        proposed = cls(
            hash_=hash_,
            active=active,
            proposal_id=proposal_id,
            status=status,
            href=href,
            message=message,
        )

        proposed.additional_properties = d
        return proposed

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
