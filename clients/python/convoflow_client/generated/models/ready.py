from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Ready")


@_attrs_define
class Ready:
    """`GET /readyz` when this replica can serve (a 503 problem names the part that cannot).

    Attributes:
        status (Literal['ready']):
        database (Literal['ok']):
        temporal (Literal['ok']):
        workers (Literal['ok']):
    """

    status: Literal["ready"]
    database: Literal["ok"]
    temporal: Literal["ok"]
    workers: Literal["ok"]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status

        database = self.database

        temporal = self.temporal

        workers = self.workers

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
                "database": database,
                "temporal": temporal,
                "workers": workers,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        status = cast(Literal["ready"], d.pop("status"))
        if status != "ready":
            raise ValueError(f"status must match const 'ready', got '{status}'")

        database = cast(Literal["ok"], d.pop("database"))
        if database != "ok":
            raise ValueError(f"database must match const 'ok', got '{database}'")

        temporal = cast(Literal["ok"], d.pop("temporal"))
        if temporal != "ok":
            raise ValueError(f"temporal must match const 'ok', got '{temporal}'")

        workers = cast(Literal["ok"], d.pop("workers"))
        if workers != "ok":
            raise ValueError(f"workers must match const 'ok', got '{workers}'")

        ready = cls(
            status=status,
            database=database,
            temporal=temporal,
            workers=workers,
        )

        ready.additional_properties = d
        return ready

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
