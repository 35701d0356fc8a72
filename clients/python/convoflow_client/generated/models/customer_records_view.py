from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.found_conversation import FoundConversation


T = TypeVar("T", bound="CustomerRecordsView")


@_attrs_define
class CustomerRecordsView:
    """What the stores hold of the customer.

    Attributes:
        conversations (list[FoundConversation]): Every conversation they wrote into.
        crm_contacts (list[str]): The local CRM's contacts with one of the addresses.
        quarantined_mail (list[str]): Held mail from them, not released (quarantine ids).
        notes (list[str]): What the search could not do as asked (a number without its country code, conversations begun
            before the index).
        written_into_others (list[str] | None | Unset): A dry run's: conversations of other customers they wrote into,
            which an erasure keeps (absent when no worker answered whose they are).
    """

    conversations: list[FoundConversation]
    crm_contacts: list[str]
    quarantined_mail: list[str]
    notes: list[str]
    written_into_others: list[str] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversations = []
        for conversations_item_data in self.conversations:
            conversations_item = conversations_item_data.to_dict()
            conversations.append(conversations_item)

        crm_contacts = self.crm_contacts

        quarantined_mail = self.quarantined_mail

        notes = self.notes

        written_into_others: list[str] | None | Unset
        if isinstance(self.written_into_others, Unset):
            written_into_others = UNSET
        elif isinstance(self.written_into_others, list):
            written_into_others = self.written_into_others

        else:
            written_into_others = self.written_into_others

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversations": conversations,
                "crm_contacts": crm_contacts,
                "quarantined_mail": quarantined_mail,
                "notes": notes,
            }
        )
        if written_into_others is not UNSET:
            field_dict["written_into_others"] = written_into_others

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.found_conversation import FoundConversation  # noqa: PLC0415

        d = dict(src_dict)
        conversations = []
        _conversations = d.pop("conversations")
        for conversations_item_data in _conversations:
            conversations_item = FoundConversation.from_dict(conversations_item_data)

            conversations.append(conversations_item)

        crm_contacts = cast(list[str], d.pop("crm_contacts"))

        quarantined_mail = cast(list[str], d.pop("quarantined_mail"))

        notes = cast(list[str], d.pop("notes"))

        def _parse_written_into_others(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                written_into_others_type_0 = cast(list[str], data)

                return written_into_others_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        written_into_others = _parse_written_into_others(d.pop("written_into_others", UNSET))

        customer_records_view = cls(
            conversations=conversations,
            crm_contacts=crm_contacts,
            quarantined_mail=quarantined_mail,
            notes=notes,
            written_into_others=written_into_others,
        )

        customer_records_view.additional_properties = d
        return customer_records_view

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
