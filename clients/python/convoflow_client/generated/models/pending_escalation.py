from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PendingEscalation")


@_attrs_define
class PendingEscalation:
    """An escalation level to come. It waits while the SLA clocks are paused (a pending or snoozed
    conversation): `due_at` is then null and `remaining_minutes` holds the business minutes left.

        Attributes:
            level (int):
            target (str):
            due_at (datetime.datetime | None):
            remaining_minutes (float | None | Unset): Business minutes left while the clocks are paused, else null.
            paused_at (datetime.datetime | None | Unset): When the clocks' pause held it.
    """

    level: int
    target: str
    due_at: datetime.datetime | None
    remaining_minutes: float | None | Unset = UNSET
    paused_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        level = self.level

        target = self.target

        due_at: None | str
        if isinstance(self.due_at, datetime.datetime):
            due_at = self.due_at.isoformat()
        else:
            due_at = self.due_at

        remaining_minutes: float | None | Unset
        if isinstance(self.remaining_minutes, Unset):
            remaining_minutes = UNSET
        else:
            remaining_minutes = self.remaining_minutes

        paused_at: None | str | Unset
        if isinstance(self.paused_at, Unset):
            paused_at = UNSET
        elif isinstance(self.paused_at, datetime.datetime):
            paused_at = self.paused_at.isoformat()
        else:
            paused_at = self.paused_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "level": level,
                "target": target,
                "due_at": due_at,
            }
        )
        if remaining_minutes is not UNSET:
            field_dict["remaining_minutes"] = remaining_minutes
        if paused_at is not UNSET:
            field_dict["paused_at"] = paused_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        level = d.pop("level")

        target = d.pop("target")

        def _parse_due_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                due_at_type_0 = datetime.datetime.fromisoformat(data)

                return due_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        due_at = _parse_due_at(d.pop("due_at"))

        def _parse_remaining_minutes(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        remaining_minutes = _parse_remaining_minutes(d.pop("remaining_minutes", UNSET))

        def _parse_paused_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                paused_at_type_0 = datetime.datetime.fromisoformat(data)

                return paused_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        paused_at = _parse_paused_at(d.pop("paused_at", UNSET))

        pending_escalation = cls(
            level=level,
            target=target,
            due_at=due_at,
            remaining_minutes=remaining_minutes,
            paused_at=paused_at,
        )

        pending_escalation.additional_properties = d
        return pending_escalation

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
