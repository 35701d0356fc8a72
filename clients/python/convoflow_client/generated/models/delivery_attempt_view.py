from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="DeliveryAttemptView")


@_attrs_define
class DeliveryAttemptView:
    """
    Attributes:
        conversation_id (str):
        sequence (int):
        attempt (int):
        event_id (str):
        type_ (str):
        at (str):
        status_code (int | None):
        error (None | str):
        latency_ms (int):
        next_retry_at (None | str):
    """

    conversation_id: str
    sequence: int
    attempt: int
    event_id: str
    type_: str
    at: str
    status_code: int | None
    error: None | str
    latency_ms: int
    next_retry_at: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation_id = self.conversation_id

        sequence = self.sequence

        attempt = self.attempt

        event_id = self.event_id

        type_ = self.type_

        at = self.at

        status_code: int | None
        status_code = self.status_code

        error: None | str
        error = self.error

        latency_ms = self.latency_ms

        next_retry_at: None | str
        next_retry_at = self.next_retry_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_id": conversation_id,
                "sequence": sequence,
                "attempt": attempt,
                "event_id": event_id,
                "type": type_,
                "at": at,
                "status_code": status_code,
                "error": error,
                "latency_ms": latency_ms,
                "next_retry_at": next_retry_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        conversation_id = d.pop("conversation_id")

        sequence = d.pop("sequence")

        attempt = d.pop("attempt")

        event_id = d.pop("event_id")

        type_ = d.pop("type")

        at = d.pop("at")

        def _parse_status_code(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        status_code = _parse_status_code(d.pop("status_code"))

        def _parse_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error = _parse_error(d.pop("error"))

        latency_ms = d.pop("latency_ms")

        def _parse_next_retry_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_retry_at = _parse_next_retry_at(d.pop("next_retry_at"))

        delivery_attempt_view = cls(
            conversation_id=conversation_id,
            sequence=sequence,
            attempt=attempt,
            event_id=event_id,
            type_=type_,
            at=at,
            status_code=status_code,
            error=error,
            latency_ms=latency_ms,
            next_retry_at=next_retry_at,
        )

        delivery_attempt_view.additional_properties = d
        return delivery_attempt_view

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
