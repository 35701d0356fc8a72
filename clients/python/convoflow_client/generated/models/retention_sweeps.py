from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.last_sweep import LastSweep


T = TypeVar("T", bound="RetentionSweeps")


@_attrs_define
class RetentionSweeps:
    """The workers' sweeps of the tenant's closed conversations past `retention_days`.

    Attributes:
        next_sweep_at (None | str): When a worker sweeps next (ISO instant); null when conversations are kept for ever.
        last_sweep (LastSweep | None): What the last sweep did; null before the first.
    """

    next_sweep_at: None | str
    last_sweep: LastSweep | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.last_sweep import LastSweep  # noqa: PLC0415

        next_sweep_at: None | str
        next_sweep_at = self.next_sweep_at

        last_sweep: dict[str, Any] | None
        if isinstance(self.last_sweep, LastSweep):
            last_sweep = self.last_sweep.to_dict()
        else:
            last_sweep = self.last_sweep

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "next_sweep_at": next_sweep_at,
                "last_sweep": last_sweep,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.last_sweep import LastSweep  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_next_sweep_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_sweep_at = _parse_next_sweep_at(d.pop("next_sweep_at"))

        def _parse_last_sweep(data: object) -> LastSweep | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                last_sweep_type_0 = LastSweep.from_dict(data)

                return last_sweep_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(LastSweep | None, data)

        last_sweep = _parse_last_sweep(d.pop("last_sweep"))

        retention_sweeps = cls(
            next_sweep_at=next_sweep_at,
            last_sweep=last_sweep,
        )

        retention_sweeps.additional_properties = d
        return retention_sweeps

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
