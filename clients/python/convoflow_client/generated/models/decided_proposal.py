from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.decided_proposal_diff_type_0 import DecidedProposalDiffType0


T = TypeVar("T", bound="DecidedProposal")


@_attrs_define
class DecidedProposal:
    """A proposal just approved or rejected.

    Attributes:
        id (str):
        kind (str): publish, or promote (the tenant's shadow pack).
        hash_ (str):
        name (str):
        version (str):
        base_hash (None | str): The tenant's active pack when it was proposed.
        status (str): pending, approved or rejected.
        stale (bool): Pending, but no longer applicable (the active pack changed or was activated again since, or
            a promotion's shadow candidate was replaced): approving it is refused.
        proposed_by (str):
        proposed_at (str):
        decided_by (None | str):
        decided_at (None | str):
        comment (None | str):
        active (bool): Whether its pack is the tenant's active pack now (approved) or not (rejected).
        diff (DecidedProposalDiffType0 | None | Unset):
    """

    id: str
    kind: str
    hash_: str
    name: str
    version: str
    base_hash: None | str
    status: str
    stale: bool
    proposed_by: str
    proposed_at: str
    decided_by: None | str
    decided_at: None | str
    comment: None | str
    active: bool
    diff: DecidedProposalDiffType0 | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.decided_proposal_diff_type_0 import DecidedProposalDiffType0  # noqa: PLC0415

        id = self.id

        kind = self.kind

        hash_ = self.hash_

        name = self.name

        version = self.version

        base_hash: None | str
        base_hash = self.base_hash

        status = self.status

        stale = self.stale

        proposed_by = self.proposed_by

        proposed_at = self.proposed_at

        decided_by: None | str
        decided_by = self.decided_by

        decided_at: None | str
        decided_at = self.decided_at

        comment: None | str
        comment = self.comment

        active = self.active

        diff: dict[str, Any] | None | Unset
        if isinstance(self.diff, Unset):
            diff = UNSET
        elif isinstance(self.diff, DecidedProposalDiffType0):
            diff = self.diff.to_dict()
        else:
            diff = self.diff

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "kind": kind,
                "hash": hash_,
                "name": name,
                "version": version,
                "base_hash": base_hash,
                "status": status,
                "stale": stale,
                "proposed_by": proposed_by,
                "proposed_at": proposed_at,
                "decided_by": decided_by,
                "decided_at": decided_at,
                "comment": comment,
                "active": active,
            }
        )
        if diff is not UNSET:
            field_dict["diff"] = diff

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.decided_proposal_diff_type_0 import DecidedProposalDiffType0  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        kind = d.pop("kind")

        hash_ = d.pop("hash")

        name = d.pop("name")

        version = d.pop("version")

        def _parse_base_hash(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        base_hash = _parse_base_hash(d.pop("base_hash"))

        status = d.pop("status")

        stale = d.pop("stale")

        proposed_by = d.pop("proposed_by")

        proposed_at = d.pop("proposed_at")

        def _parse_decided_by(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        decided_by = _parse_decided_by(d.pop("decided_by"))

        def _parse_decided_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        decided_at = _parse_decided_at(d.pop("decided_at"))

        def _parse_comment(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        comment = _parse_comment(d.pop("comment"))

        active = d.pop("active")

        def _parse_diff(data: object) -> DecidedProposalDiffType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                diff_type_0 = DecidedProposalDiffType0.from_dict(data)

                return diff_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DecidedProposalDiffType0 | None | Unset, data)

        diff = _parse_diff(d.pop("diff", UNSET))

        decided_proposal = cls(
            id=id,
            kind=kind,
            hash_=hash_,
            name=name,
            version=version,
            base_hash=base_hash,
            status=status,
            stale=stale,
            proposed_by=proposed_by,
            proposed_at=proposed_at,
            decided_by=decided_by,
            decided_at=decided_at,
            comment=comment,
            active=active,
            diff=diff,
        )

        decided_proposal.additional_properties = d
        return decided_proposal

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
