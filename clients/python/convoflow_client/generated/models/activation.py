from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Activation")


@_attrs_define
class Activation:
    """One activation, as `GET /v1/rules/activations` and `convoflow rules history` show it.

    Attributes:
        hash_ (str):
        name (str):
        version (str):
        activated_at (str):
        activated_by (None | str):
        via (str): publish (a rollback by hash too), promote (a shadow pack made active) or shipped (the pack
            a tenant without one got on its first conversation).
        proposal_id (None | str | Unset):
        proposed_by (None | str | Unset):
        approved_by (None | str | Unset): With four-eyes: the approved proposal this activation carried out, its
            proposer and approver.
    """

    hash_: str
    name: str
    version: str
    activated_at: str
    activated_by: None | str
    via: str
    proposal_id: None | str | Unset = UNSET
    proposed_by: None | str | Unset = UNSET
    approved_by: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        hash_ = self.hash_

        name = self.name

        version = self.version

        activated_at = self.activated_at

        activated_by: None | str
        activated_by = self.activated_by

        via = self.via

        proposal_id: None | str | Unset
        if isinstance(self.proposal_id, Unset):
            proposal_id = UNSET
        else:
            proposal_id = self.proposal_id

        proposed_by: None | str | Unset
        if isinstance(self.proposed_by, Unset):
            proposed_by = UNSET
        else:
            proposed_by = self.proposed_by

        approved_by: None | str | Unset
        if isinstance(self.approved_by, Unset):
            approved_by = UNSET
        else:
            approved_by = self.approved_by

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "hash": hash_,
                "name": name,
                "version": version,
                "activated_at": activated_at,
                "activated_by": activated_by,
                "via": via,
            }
        )
        if proposal_id is not UNSET:
            field_dict["proposal_id"] = proposal_id
        if proposed_by is not UNSET:
            field_dict["proposed_by"] = proposed_by
        if approved_by is not UNSET:
            field_dict["approved_by"] = approved_by

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        hash_ = d.pop("hash")

        name = d.pop("name")

        version = d.pop("version")

        activated_at = d.pop("activated_at")

        def _parse_activated_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        activated_by = _parse_activated_by(d.pop("activated_by"))

        via = d.pop("via")

        def _parse_proposal_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        proposal_id = _parse_proposal_id(d.pop("proposal_id", UNSET))

        def _parse_proposed_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        proposed_by = _parse_proposed_by(d.pop("proposed_by", UNSET))

        def _parse_approved_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        approved_by = _parse_approved_by(d.pop("approved_by", UNSET))

        activation = cls(
            hash_=hash_,
            name=name,
            version=version,
            activated_at=activated_at,
            activated_by=activated_by,
            via=via,
            proposal_id=proposal_id,
            proposed_by=proposed_by,
            approved_by=approved_by,
        )

        activation.additional_properties = d
        return activation

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
