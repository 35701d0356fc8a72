from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="FoundConversation")


@_attrs_define
class FoundConversation:
    """
    Attributes:
        conversation_id (str):
        channel (str):
        first_seen_at (datetime.datetime):
    """

    conversation_id: str
    channel: str
    first_seen_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation_id = self.conversation_id

        channel = self.channel

        first_seen_at = self.first_seen_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_id": conversation_id,
                "channel": channel,
                "first_seen_at": first_seen_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        conversation_id = d.pop("conversation_id")

        channel = d.pop("channel")

        first_seen_at = datetime.datetime.fromisoformat(d.pop("first_seen_at"))

        found_conversation = cls(
            conversation_id=conversation_id,
            channel=channel,
            first_seen_at=first_seen_at,
        )

        found_conversation.additional_properties = d
        return found_conversation

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
