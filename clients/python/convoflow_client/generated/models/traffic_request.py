from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="TrafficRequest")


@_attrs_define
class TrafficRequest:
    """Which recorded traffic a coverage report counts: the caller's tenant's decisions in a period.

    Attributes:
        from_ (None | str | Unset): ISO time or date (default: 7 days before `to`).
        to (None | str | Unset): ISO time or date, exclusive (default: now).
        conversations (int | None | Unset): Read at most this many conversations, the latest first (default 500).
    """

    from_: None | str | Unset = UNSET
    to: None | str | Unset = UNSET
    conversations: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from_: None | str | Unset
        if isinstance(self.from_, Unset):
            from_ = UNSET
        else:
            from_ = self.from_

        to: None | str | Unset
        if isinstance(self.to, Unset):
            to = UNSET
        else:
            to = self.to

        conversations: int | None | Unset
        if isinstance(self.conversations, Unset):
            conversations = UNSET
        else:
            conversations = self.conversations

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if from_ is not UNSET:
            field_dict["from"] = from_
        if to is not UNSET:
            field_dict["to"] = to
        if conversations is not UNSET:
            field_dict["conversations"] = conversations

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_from_(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        from_ = _parse_from_(d.pop("from", UNSET))

        def _parse_to(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        to = _parse_to(d.pop("to", UNSET))

        def _parse_conversations(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        conversations = _parse_conversations(d.pop("conversations", UNSET))

        traffic_request = cls(
            from_=from_,
            to=to,
            conversations=conversations,
        )

        return traffic_request
