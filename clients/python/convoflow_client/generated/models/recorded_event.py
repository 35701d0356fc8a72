from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.event_type import EventType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.recorded_event_context import RecordedEventContext


T = TypeVar("T", bound="RecordedEvent")


@_attrs_define
class RecordedEvent:
    """
    Attributes:
        event (EventType):
        context (RecordedEventContext | Unset):
        seq (int | None | Unset): Its number in the conversation's trail (`audit export-events` writes it): `rules diff`
            names the event by it, as `audit explain` and the timeline do.
    """

    event: EventType
    context: RecordedEventContext | Unset = UNSET
    seq: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        event = self.event.value

        context: dict[str, Any] | Unset = UNSET
        if not isinstance(self.context, Unset):
            context = self.context.to_dict()

        seq: int | None | Unset
        if isinstance(self.seq, Unset):
            seq = UNSET
        else:
            seq = self.seq

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "event": event,
            }
        )
        if context is not UNSET:
            field_dict["context"] = context
        if seq is not UNSET:
            field_dict["seq"] = seq

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.recorded_event_context import RecordedEventContext  # noqa: PLC0415

        d = dict(src_dict)
        event = EventType(d.pop("event"))

        _context = d.pop("context", UNSET)
        context: RecordedEventContext | Unset
        if isinstance(_context, Unset):
            context = UNSET
        else:
            context = RecordedEventContext.from_dict(_context)

        def _parse_seq(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        seq = _parse_seq(d.pop("seq", UNSET))

        recorded_event = cls(
            event=event,
            context=context,
            seq=seq,
        )

        recorded_event.additional_properties = d
        return recorded_event

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
