from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PublishedVersion")


@_attrs_define
class PublishedVersion:
    """One published version of a tenant's packs, as `rules list` and `GET /v1/rules/versions` show it.

    Attributes:
        hash_ (str): SHA-256 of the canonical content: what conversations pin.
        name (str):
        version (str): The pack's own `meta.name` and `meta.version`, as its authors wrote them.
        published_by (None | str): `api:<tenant>`, `cli:<user>`, or `shipped` for the pack a tenant started from.
        published_at (str): ISO instant of the first publication of this content by this tenant.
        source (None | str): Where it came from: a path (CLI, shipped pack) or the API route.
        active (bool): Whether the tenant's new conversations pin it now.
        shadow (bool | Unset): Whether it is the tenant's shadow pack: decided beside the live one, never executed.
            Default: False.
        activations (int | Unset): How many times it was made active (published, rolled back to, promoted, approved).
            Default: 0.
        activated_by (None | str | Unset):
        activated_at (None | str | Unset):
        activated_via (None | str | Unset): Its latest activation: who, when, and how (`publish`, or `promote` for a
            shadow pack made
            active); none for a version never activated (or activated before activations were recorded).
        proposal_id (None | str | Unset):
        proposed_by (None | str | Unset):
        approved_by (None | str | Unset): When its latest activation was an approved proposal (four-eyes): which, who
            proposed it and
            who approved it (the two keys `activated_by` names).
    """

    hash_: str
    name: str
    version: str
    published_by: None | str
    published_at: str
    source: None | str
    active: bool
    shadow: bool | Unset = False
    activations: int | Unset = 0
    activated_by: None | str | Unset = UNSET
    activated_at: None | str | Unset = UNSET
    activated_via: None | str | Unset = UNSET
    proposal_id: None | str | Unset = UNSET
    proposed_by: None | str | Unset = UNSET
    approved_by: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        hash_ = self.hash_

        name = self.name

        version = self.version

        published_by: None | str
        published_by = self.published_by

        published_at = self.published_at

        source: None | str
        source = self.source

        active = self.active

        shadow = self.shadow

        activations = self.activations

        activated_by: None | str | Unset
        if isinstance(self.activated_by, Unset):
            activated_by = UNSET
        else:
            activated_by = self.activated_by

        activated_at: None | str | Unset
        if isinstance(self.activated_at, Unset):
            activated_at = UNSET
        else:
            activated_at = self.activated_at

        activated_via: None | str | Unset
        if isinstance(self.activated_via, Unset):
            activated_via = UNSET
        else:
            activated_via = self.activated_via

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
                "published_by": published_by,
                "published_at": published_at,
                "source": source,
                "active": active,
            }
        )
        if shadow is not UNSET:
            field_dict["shadow"] = shadow
        if activations is not UNSET:
            field_dict["activations"] = activations
        if activated_by is not UNSET:
            field_dict["activated_by"] = activated_by
        if activated_at is not UNSET:
            field_dict["activated_at"] = activated_at
        if activated_via is not UNSET:
            field_dict["activated_via"] = activated_via
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

        def _parse_published_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        published_by = _parse_published_by(d.pop("published_by"))

        published_at = d.pop("published_at")

        def _parse_source(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        source = _parse_source(d.pop("source"))

        active = d.pop("active")

        shadow = d.pop("shadow", UNSET)

        activations = d.pop("activations", UNSET)

        def _parse_activated_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        activated_by = _parse_activated_by(d.pop("activated_by", UNSET))

        def _parse_activated_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        activated_at = _parse_activated_at(d.pop("activated_at", UNSET))

        def _parse_activated_via(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        activated_via = _parse_activated_via(d.pop("activated_via", UNSET))

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

        published_version = cls(
            hash_=hash_,
            name=name,
            version=version,
            published_by=published_by,
            published_at=published_at,
            source=source,
            active=active,
            shadow=shadow,
            activations=activations,
            activated_by=activated_by,
            activated_at=activated_at,
            activated_via=activated_via,
            proposal_id=proposal_id,
            proposed_by=proposed_by,
            approved_by=approved_by,
        )

        published_version.additional_properties = d
        return published_version

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
