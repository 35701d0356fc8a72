from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="QueueEntry")


@_attrs_define
class QueueEntry:
    """
    Attributes:
        conversation_id (str):
        priority (str):
        breach_at (datetime.datetime | None):
        waiting_since (datetime.datetime): When the desk queued it: the customer may have written earlier (a late
            channel, an agent lost); the SLA deadline (`breach_at`), counted from when the customer wrote, comes first in
            the serving order.
        skills (list[str]):
        flagged (None | str | Unset): Why no agent can take it whoever comes online (an empty team, a channel none
            takes).
    """

    conversation_id: str
    priority: str
    breach_at: datetime.datetime | None
    waiting_since: datetime.datetime
    skills: list[str]
    flagged: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation_id = self.conversation_id

        priority = self.priority

        breach_at: None | str
        if isinstance(self.breach_at, datetime.datetime):
            breach_at = self.breach_at.isoformat()
        else:
            breach_at = self.breach_at

        waiting_since = self.waiting_since.isoformat()

        skills = self.skills

        flagged: None | str | Unset
        if isinstance(self.flagged, Unset):
            flagged = UNSET
        else:
            flagged = self.flagged

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_id": conversation_id,
                "priority": priority,
                "breach_at": breach_at,
                "waiting_since": waiting_since,
                "skills": skills,
            }
        )
        if flagged is not UNSET:
            field_dict["flagged"] = flagged

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        conversation_id = d.pop("conversation_id")

        priority = d.pop("priority")

        def _parse_breach_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                breach_at_type_0 = datetime.datetime.fromisoformat(data)

                return breach_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        breach_at = _parse_breach_at(d.pop("breach_at"))

        waiting_since = datetime.datetime.fromisoformat(d.pop("waiting_since"))

        skills = cast(list[str], d.pop("skills"))

        def _parse_flagged(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        flagged = _parse_flagged(d.pop("flagged", UNSET))

        queue_entry = cls(
            conversation_id=conversation_id,
            priority=priority,
            breach_at=breach_at,
            waiting_since=waiting_since,
            skills=skills,
            flagged=flagged,
        )

        queue_entry.additional_properties = d
        return queue_entry

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
