from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.recorded_conversation import RecordedConversation
    from ..models.simulate_request_pack_type_1 import SimulateRequestPackType1


T = TypeVar("T", bound="SimulateRequest")


@_attrs_define
class SimulateRequest:
    """
    Attributes:
        pack (SimulateRequestPackType1 | str): The pack as YAML text or a JSON object, or the hash (7+ digits) of a
            version the tenant published, with the tests it was published with (to publish it: a rollback).
        conversations (list[RecordedConversation]):
    """

    pack: SimulateRequestPackType1 | str
    conversations: list[RecordedConversation]

    def to_dict(self) -> dict[str, Any]:
        from ..models.simulate_request_pack_type_1 import SimulateRequestPackType1  # noqa: PLC0415

        pack: dict[str, Any] | str
        if isinstance(self.pack, SimulateRequestPackType1):
            pack = self.pack.to_dict()
        else:
            pack = self.pack

        conversations = []
        for conversations_item_data in self.conversations:
            conversations_item = conversations_item_data.to_dict()
            conversations.append(conversations_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "pack": pack,
                "conversations": conversations,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.recorded_conversation import RecordedConversation  # noqa: PLC0415
        from ..models.simulate_request_pack_type_1 import SimulateRequestPackType1  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_pack(data: object) -> SimulateRequestPackType1 | str:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                pack_type_1 = SimulateRequestPackType1.from_dict(data)

                return pack_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(SimulateRequestPackType1 | str, data)

        pack = _parse_pack(d.pop("pack"))

        conversations = []
        _conversations = d.pop("conversations")
        for conversations_item_data in _conversations:
            conversations_item = RecordedConversation.from_dict(conversations_item_data)

            conversations.append(conversations_item)

        simulate_request = cls(
            pack=pack,
            conversations=conversations,
        )

        return simulate_request
