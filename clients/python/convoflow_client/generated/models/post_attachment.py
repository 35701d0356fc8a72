from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PostAttachment")


@_attrs_define
class PostAttachment:
    """
    Attributes:
        name (str):
        content_type (str | Unset):  Default: 'application/octet-stream'.
        size (int | Unset): Bytes, a JSON integer. Default: 0.
    """

    name: str
    content_type: str | Unset = "application/octet-stream"
    size: int | Unset = 0

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        content_type = self.content_type

        size = self.size

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
            }
        )
        if content_type is not UNSET:
            field_dict["content_type"] = content_type
        if size is not UNSET:
            field_dict["size"] = size

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        content_type = d.pop("content_type", UNSET)

        size = d.pop("size", UNSET)

        post_attachment = cls(
            name=name,
            content_type=content_type,
            size=size,
        )

        return post_attachment
