from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ConversationSummary")


@_attrs_define
class ConversationSummary:
    """
    Attributes:
        conversation_id (str):
        channel (None | str):
        status (None | str):
        priority (None | str):
        team (None | str):
        assignee (None | str):
        tags (list[str]):
        sla_breached (bool | None):
        created_at (datetime.datetime | None):
        last_activity_at (datetime.datetime | None): The minute of the latest activity (the conversation's own
            `updated_at` is exact).
    """

    conversation_id: str
    channel: None | str
    status: None | str
    priority: None | str
    team: None | str
    assignee: None | str
    tags: list[str]
    sla_breached: bool | None
    created_at: datetime.datetime | None
    last_activity_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation_id = self.conversation_id

        channel: None | str
        channel = self.channel

        status: None | str
        status = self.status

        priority: None | str
        priority = self.priority

        team: None | str
        team = self.team

        assignee: None | str
        assignee = self.assignee

        tags = self.tags

        sla_breached: bool | None
        sla_breached = self.sla_breached

        created_at: None | str
        if isinstance(self.created_at, datetime.datetime):
            created_at = self.created_at.isoformat()
        else:
            created_at = self.created_at

        last_activity_at: None | str
        if isinstance(self.last_activity_at, datetime.datetime):
            last_activity_at = self.last_activity_at.isoformat()
        else:
            last_activity_at = self.last_activity_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation_id": conversation_id,
                "channel": channel,
                "status": status,
                "priority": priority,
                "team": team,
                "assignee": assignee,
                "tags": tags,
                "sla_breached": sla_breached,
                "created_at": created_at,
                "last_activity_at": last_activity_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        conversation_id = d.pop("conversation_id")

        def _parse_channel(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        channel = _parse_channel(d.pop("channel"))

        def _parse_status(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        status = _parse_status(d.pop("status"))

        def _parse_priority(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        priority = _parse_priority(d.pop("priority"))

        def _parse_team(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        team = _parse_team(d.pop("team"))

        def _parse_assignee(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        assignee = _parse_assignee(d.pop("assignee"))

        tags = cast(list[str], d.pop("tags"))

        def _parse_sla_breached(data: object) -> bool | None:
            if data is None:
                return data
            return cast(bool | None, data)

        sla_breached = _parse_sla_breached(d.pop("sla_breached"))

        def _parse_created_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                created_at_type_0 = datetime.datetime.fromisoformat(data)

                return created_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        created_at = _parse_created_at(d.pop("created_at"))

        def _parse_last_activity_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_activity_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_activity_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_activity_at = _parse_last_activity_at(d.pop("last_activity_at"))

        conversation_summary = cls(
            conversation_id=conversation_id,
            channel=channel,
            status=status,
            priority=priority,
            team=team,
            assignee=assignee,
            tags=tags,
            sla_breached=sla_breached,
            created_at=created_at,
            last_activity_at=last_activity_at,
        )

        conversation_summary.additional_properties = d
        return conversation_summary

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
