from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.status import Status

T = TypeVar("T", bound="EventResponse")


@_attrs_define
class EventResponse:
    """What the conversation says about an event it took. For a customer message it answers when the
    message is recorded (its rules follow): read the outcome from GET, `/decisions` or the event
    subscriptions, or post with `?wait=decided`.

        Attributes:
            conversation_id (str):
            seq (int): The event's place in the conversation; for a customer message, the seq of the first decision entry it
                leads to (`conversation.created` for the first one, else `message.received` or the status change it causes),
                which carries its `message_id`.
            duplicate (bool):
            created (bool):
            status (Status):
            thread (int): The thread the event belongs to; a message after a close begins one.
    """

    conversation_id: str
    seq: int
    duplicate: bool
    created: bool
    status: Status
    thread: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation_id = self.conversation_id

        seq = self.seq

        duplicate = self.duplicate

        created = self.created

        status = self.status.value

        thread = self.thread

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_id": conversation_id,
                "seq": seq,
                "duplicate": duplicate,
                "created": created,
                "status": status,
                "thread": thread,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        conversation_id = d.pop("conversation_id")

        seq = d.pop("seq")

        duplicate = d.pop("duplicate")

        created = d.pop("created")

        status = Status(d.pop("status"))

        thread = d.pop("thread")

        event_response = cls(
            conversation_id=conversation_id,
            seq=seq,
            duplicate=duplicate,
            created=created,
            status=status,
            thread=thread,
        )

        event_response.additional_properties = d
        return event_response

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
