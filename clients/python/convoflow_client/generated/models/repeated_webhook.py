from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="RepeatedWebhook")


@_attrs_define
class RepeatedWebhook:
    """`POST /v1/inbound/webhook/{tenant}`'s 200 for a webhook id taken before: nothing is done again.

    Attributes:
        webhook_id (str):
        duplicate (bool | Unset):  Default: True.
        conversation_id (None | str | Unset): The conversation its message went to (absent for ids taken before the
            service kept it).
    """

    webhook_id: str
    duplicate: bool | Unset = True
    conversation_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        webhook_id = self.webhook_id

        duplicate = self.duplicate

        conversation_id: None | str | Unset
        if isinstance(self.conversation_id, Unset):
            conversation_id = UNSET
        else:
            conversation_id = self.conversation_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "webhook_id": webhook_id,
            }
        )
        if duplicate is not UNSET:
            field_dict["duplicate"] = duplicate
        if conversation_id is not UNSET:
            field_dict["conversation_id"] = conversation_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        webhook_id = d.pop("webhook_id")

        duplicate = d.pop("duplicate", UNSET)

        def _parse_conversation_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        conversation_id = _parse_conversation_id(d.pop("conversation_id", UNSET))

        repeated_webhook = cls(
            webhook_id=webhook_id,
            duplicate=duplicate,
            conversation_id=conversation_id,
        )

        repeated_webhook.additional_properties = d
        return repeated_webhook

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
