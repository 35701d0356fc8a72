from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="LastSweep")


@_attrs_define
class LastSweep:
    """What the tenant's last sweep did (counts and ids only: no conversation content).

    Attributes:
        began_at (str): ISO instant.
        ended_at (None | str): ISO instant; null while it runs (or when the worker running it stopped).
        cutoff (None | str | Unset): Closed conversations idle since before this instant were deleted.
        deleted (int | Unset): Conversations deleted (their record: `erasure_id`). Default: 0.
        refused (int | Unset): Conversations that refused to end (active since, a survey waiting); asked again next
            sweep. Default: 0.
        erasure_id (None | str | Unset): The record of what was deleted (GET /v1/customers/erasures), null when nothing
            was.
        limit_reached (bool | Unset): It stopped at its limit: the next sweep comes at once for the rest. Default:
            False.
        error (None | str | Unset): Why it failed (Temporal or the database did not answer); the next sweep tries again.
    """

    began_at: str
    ended_at: None | str
    cutoff: None | str | Unset = UNSET
    deleted: int | Unset = 0
    refused: int | Unset = 0
    erasure_id: None | str | Unset = UNSET
    limit_reached: bool | Unset = False
    error: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        began_at = self.began_at

        ended_at: None | str
        ended_at = self.ended_at

        cutoff: None | str | Unset
        if isinstance(self.cutoff, Unset):
            cutoff = UNSET
        else:
            cutoff = self.cutoff

        deleted = self.deleted

        refused = self.refused

        erasure_id: None | str | Unset
        if isinstance(self.erasure_id, Unset):
            erasure_id = UNSET
        else:
            erasure_id = self.erasure_id

        limit_reached = self.limit_reached

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "began_at": began_at,
                "ended_at": ended_at,
            }
        )
        if cutoff is not UNSET:
            field_dict["cutoff"] = cutoff
        if deleted is not UNSET:
            field_dict["deleted"] = deleted
        if refused is not UNSET:
            field_dict["refused"] = refused
        if erasure_id is not UNSET:
            field_dict["erasure_id"] = erasure_id
        if limit_reached is not UNSET:
            field_dict["limit_reached"] = limit_reached
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        began_at = d.pop("began_at")

        def _parse_ended_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        ended_at = _parse_ended_at(d.pop("ended_at"))

        def _parse_cutoff(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        cutoff = _parse_cutoff(d.pop("cutoff", UNSET))

        deleted = d.pop("deleted", UNSET)

        refused = d.pop("refused", UNSET)

        def _parse_erasure_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        erasure_id = _parse_erasure_id(d.pop("erasure_id", UNSET))

        limit_reached = d.pop("limit_reached", UNSET)

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        last_sweep = cls(
            began_at=began_at,
            ended_at=ended_at,
            cutoff=cutoff,
            deleted=deleted,
            refused=refused,
            erasure_id=erasure_id,
            limit_reached=limit_reached,
            error=error,
        )

        last_sweep.additional_properties = d
        return last_sweep

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
