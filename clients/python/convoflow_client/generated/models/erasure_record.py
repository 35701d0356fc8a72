from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.erasure_record_removed import ErasureRecordRemoved


T = TypeVar("T", bound="ErasureRecord")


@_attrs_define
class ErasureRecord:
    """An erasure as kept: no address, only the digests it was asked by.

    Attributes:
        erasure_id (str):
        customer_keys (list[str]): SHA-256 digests of the tenant and each address.
        conversations (list[str]): The conversation ids erased.
        removed (ErasureRecordRemoved): Workflow runs, mirror lines and rows removed, by store.
        actor (None | str):
        erased_at (datetime.datetime):
        written_into_others (list[str] | Unset): Conversations of other customers they wrote into: those people's
            records, not erased.
        began_again (list[str] | Unset): Begun anew by a message while they were erased: send the request again.
        notes (list[str] | Unset): What the search could not do as asked (see the search).
        kept (list[str] | Unset): Stores left as they were: a retention sweep keeps the KPI facts (`kpi_facts`,
            `kpi_threads`), a customer's erasure keeps none.
    """

    erasure_id: str
    customer_keys: list[str]
    conversations: list[str]
    removed: ErasureRecordRemoved
    actor: None | str
    erased_at: datetime.datetime
    written_into_others: list[str] | Unset = UNSET
    began_again: list[str] | Unset = UNSET
    notes: list[str] | Unset = UNSET
    kept: list[str] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        erasure_id = self.erasure_id

        customer_keys = self.customer_keys

        conversations = self.conversations

        removed = self.removed.to_dict()

        actor: None | str
        actor = self.actor

        erased_at = self.erased_at.isoformat()

        written_into_others: list[str] | Unset = UNSET
        if not isinstance(self.written_into_others, Unset):
            written_into_others = self.written_into_others

        began_again: list[str] | Unset = UNSET
        if not isinstance(self.began_again, Unset):
            began_again = self.began_again

        notes: list[str] | Unset = UNSET
        if not isinstance(self.notes, Unset):
            notes = self.notes

        kept: list[str] | Unset = UNSET
        if not isinstance(self.kept, Unset):
            kept = self.kept

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "erasure_id": erasure_id,
                "customer_keys": customer_keys,
                "conversations": conversations,
                "removed": removed,
                "actor": actor,
                "erased_at": erased_at,
            }
        )
        if written_into_others is not UNSET:
            field_dict["written_into_others"] = written_into_others
        if began_again is not UNSET:
            field_dict["began_again"] = began_again
        if notes is not UNSET:
            field_dict["notes"] = notes
        if kept is not UNSET:
            field_dict["kept"] = kept

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.erasure_record_removed import ErasureRecordRemoved  # noqa: PLC0415

        d = dict(src_dict)
        erasure_id = d.pop("erasure_id")

        customer_keys = cast(list[str], d.pop("customer_keys"))

        conversations = cast(list[str], d.pop("conversations"))

        removed = ErasureRecordRemoved.from_dict(d.pop("removed"))

        def _parse_actor(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        actor = _parse_actor(d.pop("actor"))

        erased_at = datetime.datetime.fromisoformat(d.pop("erased_at"))

        written_into_others = cast(list[str], d.pop("written_into_others", UNSET))

        began_again = cast(list[str], d.pop("began_again", UNSET))

        notes = cast(list[str], d.pop("notes", UNSET))

        kept = cast(list[str], d.pop("kept", UNSET))

        erasure_record = cls(
            erasure_id=erasure_id,
            customer_keys=customer_keys,
            conversations=conversations,
            removed=removed,
            actor=actor,
            erased_at=erased_at,
            written_into_others=written_into_others,
            began_again=began_again,
            notes=notes,
            kept=kept,
        )

        erasure_record.additional_properties = d
        return erasure_record

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
