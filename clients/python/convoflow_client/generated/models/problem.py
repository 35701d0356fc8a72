from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.problem_fields_item import ProblemFieldsItem


T = TypeVar("T", bound="Problem")


@_attrs_define
class Problem:
    """RFC 9457 problem details; `error`, `message` and `fields` are extension members

    Attributes:
        type_ (str): urn:convoflow:problem:<error>
        title (str):
        status (int):
        detail (str):
        error (str): The error code (the end of `type`)
        message (str): The same as `detail`
        fields (list[ProblemFieldsItem]):
    """

    type_: str
    title: str
    status: int
    detail: str
    error: str
    message: str
    fields: list[ProblemFieldsItem]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_

        title = self.title

        status = self.status

        detail = self.detail

        error = self.error

        message = self.message

        fields = []
        for fields_item_data in self.fields:
            fields_item = fields_item_data.to_dict()
            fields.append(fields_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "type": type_,
                "title": title,
                "status": status,
                "detail": detail,
                "error": error,
                "message": message,
                "fields": fields,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.problem_fields_item import ProblemFieldsItem  # noqa: PLC0415

        d = dict(src_dict)
        type_ = d.pop("type")

        title = d.pop("title")

        status = d.pop("status")

        detail = d.pop("detail")

        error = d.pop("error")

        message = d.pop("message")

        fields = []
        _fields = d.pop("fields")
        for fields_item_data in _fields:
            fields_item = ProblemFieldsItem.from_dict(fields_item_data)

            fields.append(fields_item)

        problem = cls(
            type_=type_,
            title=title,
            status=status,
            detail=detail,
            error=error,
            message=message,
            fields=fields,
        )

        problem.additional_properties = d
        return problem

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
