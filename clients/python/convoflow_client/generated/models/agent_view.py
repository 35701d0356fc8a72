from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.agent_view_presence import AgentViewPresence
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.agent_view_capacity_type_1 import AgentViewCapacityType1
    from ..models.agent_view_load_by_channel_type_0 import AgentViewLoadByChannelType0


T = TypeVar("T", bound="AgentView")


@_attrs_define
class AgentView:
    """An agent of the caller's tenant, with its load as the desk counts it.

    Attributes:
        id (str):
        name (str):
        teams (list[str]):
        skills (list[str]):
        channels (list[str]):
        capacity (AgentViewCapacityType1 | int):
        presence (AgentViewPresence):
        presence_reason (str):
        presence_changed_at (datetime.datetime | None):
        last_heartbeat_at (datetime.datetime | None):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        load (int | None | Unset):
        load_by_channel (AgentViewLoadByChannelType0 | None | Unset):
        assigned (list[str] | None | Unset):
    """

    id: str
    name: str
    teams: list[str]
    skills: list[str]
    channels: list[str]
    capacity: AgentViewCapacityType1 | int
    presence: AgentViewPresence
    presence_reason: str
    presence_changed_at: datetime.datetime | None
    last_heartbeat_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    load: int | None | Unset = UNSET
    load_by_channel: AgentViewLoadByChannelType0 | None | Unset = UNSET
    assigned: list[str] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.agent_view_capacity_type_1 import AgentViewCapacityType1  # noqa: PLC0415
        from ..models.agent_view_load_by_channel_type_0 import AgentViewLoadByChannelType0  # noqa: PLC0415

        id = self.id

        name = self.name

        teams = self.teams

        skills = self.skills

        channels = self.channels

        capacity: dict[str, Any] | int
        if isinstance(self.capacity, AgentViewCapacityType1):
            capacity = self.capacity.to_dict()
        else:
            capacity = self.capacity

        presence = self.presence.value

        presence_reason = self.presence_reason

        presence_changed_at: None | str
        if isinstance(self.presence_changed_at, datetime.datetime):
            presence_changed_at = self.presence_changed_at.isoformat()
        else:
            presence_changed_at = self.presence_changed_at

        last_heartbeat_at: None | str
        if isinstance(self.last_heartbeat_at, datetime.datetime):
            last_heartbeat_at = self.last_heartbeat_at.isoformat()
        else:
            last_heartbeat_at = self.last_heartbeat_at

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        load: int | None | Unset
        if isinstance(self.load, Unset):
            load = UNSET
        else:
            load = self.load

        load_by_channel: dict[str, Any] | None | Unset
        if isinstance(self.load_by_channel, Unset):
            load_by_channel = UNSET
        elif isinstance(self.load_by_channel, AgentViewLoadByChannelType0):
            load_by_channel = self.load_by_channel.to_dict()
        else:
            load_by_channel = self.load_by_channel

        assigned: list[str] | None | Unset
        if isinstance(self.assigned, Unset):
            assigned = UNSET
        elif isinstance(self.assigned, list):
            assigned = self.assigned

        else:
            assigned = self.assigned

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "teams": teams,
                "skills": skills,
                "channels": channels,
                "capacity": capacity,
                "presence": presence,
                "presence_reason": presence_reason,
                "presence_changed_at": presence_changed_at,
                "last_heartbeat_at": last_heartbeat_at,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )
        if load is not UNSET:
            field_dict["load"] = load
        if load_by_channel is not UNSET:
            field_dict["load_by_channel"] = load_by_channel
        if assigned is not UNSET:
            field_dict["assigned"] = assigned

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.agent_view_capacity_type_1 import AgentViewCapacityType1  # noqa: PLC0415
        from ..models.agent_view_load_by_channel_type_0 import AgentViewLoadByChannelType0  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        teams = cast(list[str], d.pop("teams"))

        skills = cast(list[str], d.pop("skills"))

        channels = cast(list[str], d.pop("channels"))

        def _parse_capacity(data: object) -> AgentViewCapacityType1 | int:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                capacity_type_1 = AgentViewCapacityType1.from_dict(data)

                return capacity_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AgentViewCapacityType1 | int, data)

        capacity = _parse_capacity(d.pop("capacity"))

        presence = AgentViewPresence(d.pop("presence"))

        presence_reason = d.pop("presence_reason")

        def _parse_presence_changed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                presence_changed_at_type_0 = datetime.datetime.fromisoformat(data)

                return presence_changed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        presence_changed_at = _parse_presence_changed_at(d.pop("presence_changed_at"))

        def _parse_last_heartbeat_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_heartbeat_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_heartbeat_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_heartbeat_at = _parse_last_heartbeat_at(d.pop("last_heartbeat_at"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_load(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        load = _parse_load(d.pop("load", UNSET))

        def _parse_load_by_channel(data: object) -> AgentViewLoadByChannelType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                load_by_channel_type_0 = AgentViewLoadByChannelType0.from_dict(data)

                return load_by_channel_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AgentViewLoadByChannelType0 | None | Unset, data)

        load_by_channel = _parse_load_by_channel(d.pop("load_by_channel", UNSET))

        def _parse_assigned(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                assigned_type_0 = cast(list[str], data)

                return assigned_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        assigned = _parse_assigned(d.pop("assigned", UNSET))

        agent_view = cls(
            id=id,
            name=name,
            teams=teams,
            skills=skills,
            channels=channels,
            capacity=capacity,
            presence=presence,
            presence_reason=presence_reason,
            presence_changed_at=presence_changed_at,
            last_heartbeat_at=last_heartbeat_at,
            created_at=created_at,
            updated_at=updated_at,
            load=load,
            load_by_channel=load_by_channel,
            assigned=assigned,
        )

        agent_view.additional_properties = d
        return agent_view

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
