from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.delivered_event_type import DeliveredEventType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.event_data import EventData


T = TypeVar("T", bound="DeliveredEvent")


@_attrs_define
class DeliveredEvent:
    """The body of each signed POST to a subscription (Standard Webhooks: `type`, `timestamp`, `data`).

    Attributes:
        type_ (DeliveredEventType):
        id (str): The event's id, stable for the conversation's whole life: the `webhook-id` of every delivery.
        timestamp (datetime.datetime):
        conversation_id (str): Your conversation id, as the API takes it.
        thread (int):
        occurred_at (datetime.datetime):
        data (EventData): An event's `data`: what its trail entry tells of the conversation, nothing a person wrote.
        subscription_id (None | str | Unset): The subscription it was delivered for (absent on events queued before the
            release that added it).
        sequence (int | None | Unset): The event's number in this subscription's line of the conversation, from 1
            without gaps.
    """

    type_: DeliveredEventType
    id: str
    timestamp: datetime.datetime
    conversation_id: str
    thread: int
    occurred_at: datetime.datetime
    data: EventData
    subscription_id: None | str | Unset = UNSET
    sequence: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_.value

        id = self.id

        timestamp = self.timestamp.isoformat()

        conversation_id = self.conversation_id

        thread = self.thread

        occurred_at = self.occurred_at.isoformat()

        data = self.data.to_dict()

        subscription_id: None | str | Unset
        if isinstance(self.subscription_id, Unset):
            subscription_id = UNSET
        else:
            subscription_id = self.subscription_id

        sequence: int | None | Unset
        if isinstance(self.sequence, Unset):
            sequence = UNSET
        else:
            sequence = self.sequence

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "id": id,
                "timestamp": timestamp,
                "conversation_id": conversation_id,
                "thread": thread,
                "occurred_at": occurred_at,
                "data": data,
            }
        )
        if subscription_id is not UNSET:
            field_dict["subscription_id"] = subscription_id
        if sequence is not UNSET:
            field_dict["sequence"] = sequence

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.event_data import EventData  # noqa: PLC0415

        d = dict(src_dict)
        type_ = DeliveredEventType(d.pop("type"))

        id = d.pop("id")

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        conversation_id = d.pop("conversation_id")

        thread = d.pop("thread")

        occurred_at = datetime.datetime.fromisoformat(d.pop("occurred_at"))

        data = EventData.from_dict(d.pop("data"))

        def _parse_subscription_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        subscription_id = _parse_subscription_id(d.pop("subscription_id", UNSET))

        def _parse_sequence(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        sequence = _parse_sequence(d.pop("sequence", UNSET))

        delivered_event = cls(
            type_=type_,
            id=id,
            timestamp=timestamp,
            conversation_id=conversation_id,
            thread=thread,
            occurred_at=occurred_at,
            data=data,
            subscription_id=subscription_id,
            sequence=sequence,
        )

        return delivered_event
