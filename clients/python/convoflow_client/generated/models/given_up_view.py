from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="GivenUpView")


@_attrs_define
class GivenUpView:
    """An event whose delivery was given up after its retry hours, with its last attempt.

    Attributes:
        conversation_id (str):
        sequence (int):
        event_id (str):
        type_ (str):
        attempts (int):
        created_at (str):
        last_attempt_at (None | str):
        last_status_code (int | None):
        last_error (None | str):
    """

    conversation_id: str
    sequence: int
    event_id: str
    type_: str
    attempts: int
    created_at: str
    last_attempt_at: None | str
    last_status_code: int | None
    last_error: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation_id = self.conversation_id

        sequence = self.sequence

        event_id = self.event_id

        type_ = self.type_

        attempts = self.attempts

        created_at = self.created_at

        last_attempt_at: None | str
        last_attempt_at = self.last_attempt_at

        last_status_code: int | None
        last_status_code = self.last_status_code

        last_error: None | str
        last_error = self.last_error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_id": conversation_id,
                "sequence": sequence,
                "event_id": event_id,
                "type": type_,
                "attempts": attempts,
                "created_at": created_at,
                "last_attempt_at": last_attempt_at,
                "last_status_code": last_status_code,
                "last_error": last_error,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        conversation_id = d.pop("conversation_id")

        sequence = d.pop("sequence")

        event_id = d.pop("event_id")

        type_ = d.pop("type")

        attempts = d.pop("attempts")

        created_at = d.pop("created_at")

        def _parse_last_attempt_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_attempt_at = _parse_last_attempt_at(d.pop("last_attempt_at"))

        def _parse_last_status_code(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        last_status_code = _parse_last_status_code(d.pop("last_status_code"))

        def _parse_last_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_error = _parse_last_error(d.pop("last_error"))

        given_up_view = cls(
            conversation_id=conversation_id,
            sequence=sequence,
            event_id=event_id,
            type_=type_,
            attempts=attempts,
            created_at=created_at,
            last_attempt_at=last_attempt_at,
            last_status_code=last_status_code,
            last_error=last_error,
        )

        given_up_view.additional_properties = d
        return given_up_view

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
