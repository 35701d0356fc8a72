from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.quarantine_reason import QuarantineReason
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.quarantined_fields_type_0_item import QuarantinedFieldsType0Item


T = TypeVar("T", bound="Quarantined")


@_attrs_define
class Quarantined:
    """POST /v1/inbound/email's 202: the mail could not become a conversation and is held for ops.

    Attributes:
        quarantine_id (str):
        reason (QuarantineReason): Why a mail sits in quarantine (the API and CLI show these words).
        detail (str):
        message_id (str):
        quarantined (bool | Unset):  Default: True.
        fields (list[QuarantinedFieldsType0Item] | None | Unset): For an unreadable mail: the header (or `body`) at
            fault.
    """

    quarantine_id: str
    reason: QuarantineReason
    detail: str
    message_id: str
    quarantined: bool | Unset = True
    fields: list[QuarantinedFieldsType0Item] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        quarantine_id = self.quarantine_id

        reason = self.reason.value

        detail = self.detail

        message_id = self.message_id

        quarantined = self.quarantined

        fields: list[dict[str, Any]] | None | Unset
        if isinstance(self.fields, Unset):
            fields = UNSET
        elif isinstance(self.fields, list):
            fields = []
            for fields_type_0_item_data in self.fields:
                fields_type_0_item = fields_type_0_item_data.to_dict()
                fields.append(fields_type_0_item)

        else:
            fields = self.fields

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "quarantine_id": quarantine_id,
                "reason": reason,
                "detail": detail,
                "message_id": message_id,
            }
        )
        if quarantined is not UNSET:
            field_dict["quarantined"] = quarantined
        if fields is not UNSET:
            field_dict["fields"] = fields

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.quarantined_fields_type_0_item import QuarantinedFieldsType0Item  # noqa: PLC0415

        d = dict(src_dict)
        quarantine_id = d.pop("quarantine_id")

        reason = QuarantineReason(d.pop("reason"))

        detail = d.pop("detail")

        message_id = d.pop("message_id")

        quarantined = d.pop("quarantined", UNSET)

        def _parse_fields(data: object) -> list[QuarantinedFieldsType0Item] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                fields_type_0 = []
                _fields_type_0 = data
                for fields_type_0_item_data in _fields_type_0:
                    fields_type_0_item = QuarantinedFieldsType0Item.from_dict(fields_type_0_item_data)

                    fields_type_0.append(fields_type_0_item)

                return fields_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[QuarantinedFieldsType0Item] | None | Unset, data)

        fields = _parse_fields(d.pop("fields", UNSET))

        quarantined = cls(
            quarantine_id=quarantine_id,
            reason=reason,
            detail=detail,
            message_id=message_id,
            quarantined=quarantined,
            fields=fields,
        )

        quarantined.additional_properties = d
        return quarantined

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
