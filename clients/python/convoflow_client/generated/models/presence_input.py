from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.presence_input_status import PresenceInputStatus

T = TypeVar("T", bound="PresenceInput")


@_attrs_define
class PresenceInput:
    """`PUT /v1/agents/{agent_id}/presence`.

    Attributes:
        status (PresenceInputStatus): online: takes conversations; away: keeps its conversations for the team's grace,
            takes none;
            offline: gone.
    """

    status: PresenceInputStatus

    def to_dict(self) -> dict[str, Any]:
        status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        status = PresenceInputStatus(d.pop("status"))

        presence_input = cls(
            status=status,
        )

        return presence_input
