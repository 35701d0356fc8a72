from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.decision_change_after_item import DecisionChangeAfterItem
    from ..models.decision_change_before_item import DecisionChangeBeforeItem


T = TypeVar("T", bound="DecisionChange")


@_attrs_define
class DecisionChange:
    """
    Attributes:
        conversation (str):
        event_index (int):
        event (str):
        before (list[DecisionChangeBeforeItem]):
        after (list[DecisionChangeAfterItem]):
        matched_before (list[str]):
        matched_after (list[str]):
        seq (int | None | Unset):
    """

    conversation: str
    event_index: int
    event: str
    before: list[DecisionChangeBeforeItem]
    after: list[DecisionChangeAfterItem]
    matched_before: list[str]
    matched_after: list[str]
    seq: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        conversation = self.conversation

        event_index = self.event_index

        event = self.event

        before = []
        for before_item_data in self.before:
            before_item = before_item_data.to_dict()
            before.append(before_item)

        after = []
        for after_item_data in self.after:
            after_item = after_item_data.to_dict()
            after.append(after_item)

        matched_before = self.matched_before

        matched_after = self.matched_after

        seq: int | None | Unset
        if isinstance(self.seq, Unset):
            seq = UNSET
        else:
            seq = self.seq

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "conversation": conversation,
                "event_index": event_index,
                "event": event,
                "before": before,
                "after": after,
                "matched_before": matched_before,
                "matched_after": matched_after,
            }
        )
        if seq is not UNSET:
            field_dict["seq"] = seq

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.decision_change_after_item import DecisionChangeAfterItem  # noqa: PLC0415
        from ..models.decision_change_before_item import DecisionChangeBeforeItem  # noqa: PLC0415

        d = dict(src_dict)
        conversation = d.pop("conversation")

        event_index = d.pop("event_index")

        event = d.pop("event")

        before = []
        _before = d.pop("before")
        for before_item_data in _before:
            before_item = DecisionChangeBeforeItem.from_dict(before_item_data)

            before.append(before_item)

        after = []
        _after = d.pop("after")
        for after_item_data in _after:
            after_item = DecisionChangeAfterItem.from_dict(after_item_data)

            after.append(after_item)

        matched_before = cast(list[str], d.pop("matched_before"))

        matched_after = cast(list[str], d.pop("matched_after"))

        def _parse_seq(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        seq = _parse_seq(d.pop("seq", UNSET))

        decision_change = cls(
            conversation=conversation,
            event_index=event_index,
            event=event,
            before=before,
            after=after,
            matched_before=matched_before,
            matched_after=matched_after,
            seq=seq,
        )

        decision_change.additional_properties = d
        return decision_change

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
