from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.agent_input_capacity_type_1 import AgentInputCapacityType1


T = TypeVar("T", bound="AgentInput")


@_attrs_define
class AgentInput:
    """An agent as a client defines it (`POST /v1/agents`): its presence is set separately.

    Attributes:
        id (str): The agent's id: ^[A-Za-z0-9][A-Za-z0-9._\\-]{0,127}$.
        name (str):
        teams (list[str] | Unset): Teams of the tenant's active rule pack.
        skills (list[str] | Unset): Skills a team of the active pack declares (`teams.<team>.skills`), e.g. `lang:de`.
        channels (list[str] | Unset): Channels the agent takes; empty: every channel.
        capacity (AgentInputCapacityType1 | int | Unset): Open conversations the agent takes at once: one number for all
            channels together, or a number per channel (`{"email": 5, "chat": 2}`), each 0 to 1000. Default: 5.
    """

    id: str
    name: str
    teams: list[str] | Unset = UNSET
    skills: list[str] | Unset = UNSET
    channels: list[str] | Unset = UNSET
    capacity: AgentInputCapacityType1 | int | Unset = 5

    def to_dict(self) -> dict[str, Any]:
        from ..models.agent_input_capacity_type_1 import AgentInputCapacityType1  # noqa: PLC0415

        id = self.id

        name = self.name

        teams: list[str] | Unset = UNSET
        if not isinstance(self.teams, Unset):
            teams = self.teams

        skills: list[str] | Unset = UNSET
        if not isinstance(self.skills, Unset):
            skills = self.skills

        channels: list[str] | Unset = UNSET
        if not isinstance(self.channels, Unset):
            channels = self.channels

        capacity: dict[str, Any] | int | Unset
        if isinstance(self.capacity, Unset):
            capacity = UNSET
        elif isinstance(self.capacity, AgentInputCapacityType1):
            capacity = self.capacity.to_dict()
        else:
            capacity = self.capacity

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
                "name": name,
            }
        )
        if teams is not UNSET:
            field_dict["teams"] = teams
        if skills is not UNSET:
            field_dict["skills"] = skills
        if channels is not UNSET:
            field_dict["channels"] = channels
        if capacity is not UNSET:
            field_dict["capacity"] = capacity

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.agent_input_capacity_type_1 import AgentInputCapacityType1  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        teams = cast(list[str], d.pop("teams", UNSET))

        skills = cast(list[str], d.pop("skills", UNSET))

        channels = cast(list[str], d.pop("channels", UNSET))

        def _parse_capacity(data: object) -> AgentInputCapacityType1 | int | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                capacity_type_1 = AgentInputCapacityType1.from_dict(data)

                return capacity_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AgentInputCapacityType1 | int | Unset, data)

        capacity = _parse_capacity(d.pop("capacity", UNSET))

        agent_input = cls(
            id=id,
            name=name,
            teams=teams,
            skills=skills,
            channels=channels,
            capacity=capacity,
        )

        return agent_input
