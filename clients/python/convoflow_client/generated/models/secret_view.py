from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SecretView")


@_attrs_define
class SecretView:
    """A webhook secret as its tenant's admin sees it: never the secret, but once when made.

    Attributes:
        secret_id (str):
        channel (str):
        created_at (str):
        retires_at (None | str): When it stops verifying; null while it is its channel's newest.
    """

    secret_id: str
    channel: str
    created_at: str
    retires_at: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        secret_id = self.secret_id

        channel = self.channel

        created_at = self.created_at

        retires_at: None | str
        retires_at = self.retires_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "secret_id": secret_id,
                "channel": channel,
                "created_at": created_at,
                "retires_at": retires_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        secret_id = d.pop("secret_id")

        channel = d.pop("channel")

        created_at = d.pop("created_at")

        def _parse_retires_at(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        retires_at = _parse_retires_at(d.pop("retires_at"))

        secret_view = cls(
            secret_id=secret_id,
            channel=channel,
            created_at=created_at,
            retires_at=retires_at,
        )

        secret_view.additional_properties = d
        return secret_view

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
