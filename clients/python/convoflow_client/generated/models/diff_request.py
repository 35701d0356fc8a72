from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.diff_request_new_type_1 import DiffRequestNewType1
    from ..models.diff_request_old_type_1 import DiffRequestOldType1
    from ..models.recorded_conversation import RecordedConversation


T = TypeVar("T", bound="DiffRequest")


@_attrs_define
class DiffRequest:
    """
    Attributes:
        old (DiffRequestOldType1 | str):
        new (DiffRequestNewType1 | str):
        conversations (list[RecordedConversation]):
    """

    old: DiffRequestOldType1 | str
    new: DiffRequestNewType1 | str
    conversations: list[RecordedConversation]

    def to_dict(self) -> dict[str, Any]:
        from ..models.diff_request_new_type_1 import DiffRequestNewType1  # noqa: PLC0415
        from ..models.diff_request_old_type_1 import DiffRequestOldType1  # noqa: PLC0415

        old: dict[str, Any] | str
        if isinstance(self.old, DiffRequestOldType1):
            old = self.old.to_dict()
        else:
            old = self.old

        new: dict[str, Any] | str
        if isinstance(self.new, DiffRequestNewType1):
            new = self.new.to_dict()
        else:
            new = self.new

        conversations = []
        for conversations_item_data in self.conversations:
            conversations_item = conversations_item_data.to_dict()
            conversations.append(conversations_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "old": old,
                "new": new,
                "conversations": conversations,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.diff_request_new_type_1 import DiffRequestNewType1  # noqa: PLC0415
        from ..models.diff_request_old_type_1 import DiffRequestOldType1  # noqa: PLC0415
        from ..models.recorded_conversation import RecordedConversation  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_old(data: object) -> DiffRequestOldType1 | str:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                old_type_1 = DiffRequestOldType1.from_dict(data)

                return old_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DiffRequestOldType1 | str, data)

        old = _parse_old(d.pop("old"))

        def _parse_new(data: object) -> DiffRequestNewType1 | str:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                new_type_1 = DiffRequestNewType1.from_dict(data)

                return new_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DiffRequestNewType1 | str, data)

        new = _parse_new(d.pop("new"))

        conversations = []
        _conversations = d.pop("conversations")
        for conversations_item_data in _conversations:
            conversations_item = RecordedConversation.from_dict(conversations_item_data)

            conversations.append(conversations_item)

        diff_request = cls(
            old=old,
            new=new,
            conversations=conversations,
        )

        return diff_request
