from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.quarantine_reason import QuarantineReason
from ..types import UNSET, Unset

T = TypeVar("T", bound="QuarantineItem")


@_attrs_define
class QuarantineItem:
    """A quarantined mail in a list: why, from where, when, and (ops, admin) from whom and about what.

    Attributes:
        id (str): q_ and 24 hex digits.
        message_id (str): The mail's Message-ID, or the one derived from its content.
        reason (QuarantineReason): Why a mail sits in quarantine (the API and CLI show these words).
        detail (str): Why, in the service's words (never the mail's).
        source (str): `api` (POST /v1/inbound/email) or `imap:<mailbox>`.
        size (int): Bytes of the raw mail.
        received_at (str):
        expires_at (str): Deleted after (CONVOFLOW_QUARANTINE_DAYS).
        released_at (None | str | Unset):
        released_by (None | str | Unset):
        conversation_id (None | str | Unset): Where a release delivered it.
        sender (None | str | Unset): The From address (ops and admin keys only).
        subject (None | str | Unset): The subject (ops and admin keys only).
    """

    id: str
    message_id: str
    reason: QuarantineReason
    detail: str
    source: str
    size: int
    received_at: str
    expires_at: str
    released_at: None | str | Unset = UNSET
    released_by: None | str | Unset = UNSET
    conversation_id: None | str | Unset = UNSET
    sender: None | str | Unset = UNSET
    subject: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        message_id = self.message_id

        reason = self.reason.value

        detail = self.detail

        source = self.source

        size = self.size

        received_at = self.received_at

        expires_at = self.expires_at

        released_at: None | str | Unset
        if isinstance(self.released_at, Unset):
            released_at = UNSET
        else:
            released_at = self.released_at

        released_by: None | str | Unset
        if isinstance(self.released_by, Unset):
            released_by = UNSET
        else:
            released_by = self.released_by

        conversation_id: None | str | Unset
        if isinstance(self.conversation_id, Unset):
            conversation_id = UNSET
        else:
            conversation_id = self.conversation_id

        sender: None | str | Unset
        if isinstance(self.sender, Unset):
            sender = UNSET
        else:
            sender = self.sender

        subject: None | str | Unset
        if isinstance(self.subject, Unset):
            subject = UNSET
        else:
            subject = self.subject

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "message_id": message_id,
                "reason": reason,
                "detail": detail,
                "source": source,
                "size": size,
                "received_at": received_at,
                "expires_at": expires_at,
            }
        )
        if released_at is not UNSET:
            field_dict["released_at"] = released_at
        if released_by is not UNSET:
            field_dict["released_by"] = released_by
        if conversation_id is not UNSET:
            field_dict["conversation_id"] = conversation_id
        if sender is not UNSET:
            field_dict["sender"] = sender
        if subject is not UNSET:
            field_dict["subject"] = subject

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = d.pop("id")

        message_id = d.pop("message_id")

        reason = QuarantineReason(d.pop("reason"))

        detail = d.pop("detail")

        source = d.pop("source")

        size = d.pop("size")

        received_at = d.pop("received_at")

        expires_at = d.pop("expires_at")

        def _parse_released_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        released_at = _parse_released_at(d.pop("released_at", UNSET))

        def _parse_released_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        released_by = _parse_released_by(d.pop("released_by", UNSET))

        def _parse_conversation_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        conversation_id = _parse_conversation_id(d.pop("conversation_id", UNSET))

        def _parse_sender(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        sender = _parse_sender(d.pop("sender", UNSET))

        def _parse_subject(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        subject = _parse_subject(d.pop("subject", UNSET))

        quarantine_item = cls(
            id=id,
            message_id=message_id,
            reason=reason,
            detail=detail,
            source=source,
            size=size,
            received_at=received_at,
            expires_at=expires_at,
            released_at=released_at,
            released_by=released_by,
            conversation_id=conversation_id,
            sender=sender,
            subject=subject,
        )

        quarantine_item.additional_properties = d
        return quarantine_item

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
