from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.event_response_delivery_type_0 import EventResponseDeliveryType0
from ..models.status import Status
from ..types import UNSET, Unset

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
            delivery (EventResponseDeliveryType0 | None | Unset): For an agent's reply: `delivered` (the channel took it),
                `sending` (the channel did not take it at once: it is sent in the background, in order, and `message.delivered`
                or `message.delivery_failed` on the trail and to subscribers tells how it ended) or `failed` (the channel
                refused it: the reason is on the trail's `message.delivery_failed`, which subscribers get). A repeated reply
                gets how its send stands now. Absent for other events, and for a repeat older than the trail.
            assignee (None | str | Unset): For an assignment: the agent who has the conversation now (null while it waits in
                the team's queue). Absent for other events.
            queued (bool | None | Unset): For an assignment: true when it waits in the team's queue (no agent of the team
                was free), false otherwise: an agent has it, or (`assignee` null) a rule that ran on the assignment took it out
                of the queue. Absent for other events.
    """

    conversation_id: str
    seq: int
    duplicate: bool
    created: bool
    status: Status
    thread: int
    delivery: EventResponseDeliveryType0 | None | Unset = UNSET
    assignee: None | str | Unset = UNSET
    queued: bool | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation_id = self.conversation_id

        seq = self.seq

        duplicate = self.duplicate

        created = self.created

        status = self.status.value

        thread = self.thread

        delivery: None | str | Unset
        if isinstance(self.delivery, Unset):
            delivery = UNSET
        elif isinstance(self.delivery, EventResponseDeliveryType0):
            delivery = self.delivery.value
        else:
            delivery = self.delivery

        assignee: None | str | Unset
        if isinstance(self.assignee, Unset):
            assignee = UNSET
        else:
            assignee = self.assignee

        queued: bool | None | Unset
        if isinstance(self.queued, Unset):
            queued = UNSET
        else:
            queued = self.queued

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
        if delivery is not UNSET:
            field_dict["delivery"] = delivery
        if assignee is not UNSET:
            field_dict["assignee"] = assignee
        if queued is not UNSET:
            field_dict["queued"] = queued

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

        def _parse_delivery(data: object) -> EventResponseDeliveryType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                delivery_type_0 = EventResponseDeliveryType0(data)

                return delivery_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EventResponseDeliveryType0 | None | Unset, data)

        delivery = _parse_delivery(d.pop("delivery", UNSET))

        def _parse_assignee(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        assignee = _parse_assignee(d.pop("assignee", UNSET))

        def _parse_queued(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        queued = _parse_queued(d.pop("queued", UNSET))

        event_response = cls(
            conversation_id=conversation_id,
            seq=seq,
            duplicate=duplicate,
            created=created,
            status=status,
            thread=thread,
            delivery=delivery,
            assignee=assignee,
            queued=queued,
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
