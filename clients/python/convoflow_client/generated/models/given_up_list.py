from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.given_up_view import GivenUpView


T = TypeVar("T", bound="GivenUpList")


@_attrs_define
class GivenUpList:
    """
    Attributes:
        given_up (list[GivenUpView]):
        next_ (None | str):
    """

    given_up: list[GivenUpView]
    next_: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        given_up = []
        for given_up_item_data in self.given_up:
            given_up_item = given_up_item_data.to_dict()
            given_up.append(given_up_item)

        next_: None | str
        next_ = self.next_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "given_up": given_up,
                "next": next_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.given_up_view import GivenUpView  # noqa: PLC0415

        d = dict(src_dict)
        given_up = []
        _given_up = d.pop("given_up")
        for given_up_item_data in _given_up:
            given_up_item = GivenUpView.from_dict(given_up_item_data)

            given_up.append(given_up_item)

        def _parse_next_(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        next_ = _parse_next_(d.pop("next"))

        given_up_list = cls(
            given_up=given_up,
            next_=next_,
        )

        given_up_list.additional_properties = d
        return given_up_list

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
