from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="SettingsInput")


@_attrs_define
class SettingsInput:
    """The settings to change; one left out keeps its value.

    Attributes:
        require_approval (bool | None | Unset): Four-eyes: publishing or promoting a pack makes a proposal that another
            ops or admin key of the
            tenant approves (POST /v1/rules/proposals/{proposal_id}/approve).
        retention_days (int | None | Unset): Keep a closed conversation this many days after its last activity, then
            delete it (its
            workflow runs and rows; KPI facts stay); `null` keeps conversations for ever. Left out: unchanged.
            The workers sweep at once on a change, then every CONVOFLOW_RETENTION_SWEEP_MINUTES.
    """

    require_approval: bool | None | Unset = UNSET
    retention_days: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        require_approval: bool | None | Unset
        if isinstance(self.require_approval, Unset):
            require_approval = UNSET
        else:
            require_approval = self.require_approval

        retention_days: int | None | Unset
        if isinstance(self.retention_days, Unset):
            retention_days = UNSET
        else:
            retention_days = self.retention_days

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if require_approval is not UNSET:
            field_dict["require_approval"] = require_approval
        if retention_days is not UNSET:
            field_dict["retention_days"] = retention_days

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_require_approval(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        require_approval = _parse_require_approval(d.pop("require_approval", UNSET))

        def _parse_retention_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        retention_days = _parse_retention_days(d.pop("retention_days", UNSET))

        settings_input = cls(
            require_approval=require_approval,
            retention_days=retention_days,
        )

        return settings_input
