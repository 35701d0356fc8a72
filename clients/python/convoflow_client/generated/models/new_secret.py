from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="NewSecret")


@_attrs_define
class NewSecret:
    """
    Attributes:
        secret_id (str):
        channel (str):
        created_at (str):
        retires_at (None | str): When it stops verifying; null while it is its channel's newest.
        secret (None | str | Unset): The secret, shown this once (`Cache-Control: no-store`): an idempotent replay of
            the answer
            (`Idempotent-Replayed: true`) comes without it.
    """

    secret_id: str
    channel: str
    created_at: str
    retires_at: None | str
    secret: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        secret_id = self.secret_id

        channel = self.channel

        created_at = self.created_at

        retires_at: None | str
        retires_at = self.retires_at

        secret: None | str | Unset
        if isinstance(self.secret, Unset):
            secret = UNSET
        else:
            secret = self.secret

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
        if secret is not UNSET:
            field_dict["secret"] = secret

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

        def _parse_secret(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        secret = _parse_secret(d.pop("secret", UNSET))

        new_secret = cls(
            secret_id=secret_id,
            channel=channel,
            created_at=created_at,
            retires_at=retires_at,
            secret=secret,
        )

        new_secret.additional_properties = d
        return new_secret

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
