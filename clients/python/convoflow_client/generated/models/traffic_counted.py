from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.traffic_counted_other_rules import TrafficCountedOtherRules
    from ..models.traffic_counted_packs import TrafficCountedPacks


T = TypeVar("T", bound="TrafficCounted")


@_attrs_define
class TrafficCounted:
    """
    Attributes:
        tenant (str):
        from_ (str):
        to (str):
        conversations (int):
        decisions (int):
        packs (TrafficCountedPacks): Decisions per pack hash they were taken with.
        other_rules (TrafficCountedOtherRules): Times rules the pack does not have fired (an earlier version's, or
            another pack's).
        truncated (bool): More conversations had activity in the period than were read (the reader's bound).
        unanswered_runs (int): Runs whose trail could not be read (left out of the counts).
    """

    tenant: str
    from_: str
    to: str
    conversations: int
    decisions: int
    packs: TrafficCountedPacks
    other_rules: TrafficCountedOtherRules
    truncated: bool
    unanswered_runs: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        tenant = self.tenant

        from_ = self.from_

        to = self.to

        conversations = self.conversations

        decisions = self.decisions

        packs = self.packs.to_dict()

        other_rules = self.other_rules.to_dict()

        truncated = self.truncated

        unanswered_runs = self.unanswered_runs

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "tenant": tenant,
                "from": from_,
                "to": to,
                "conversations": conversations,
                "decisions": decisions,
                "packs": packs,
                "other_rules": other_rules,
                "truncated": truncated,
                "unanswered_runs": unanswered_runs,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.traffic_counted_other_rules import TrafficCountedOtherRules  # noqa: PLC0415
        from ..models.traffic_counted_packs import TrafficCountedPacks  # noqa: PLC0415

        d = dict(src_dict)
        tenant = d.pop("tenant")

        from_ = d.pop("from")

        to = d.pop("to")

        conversations = d.pop("conversations")

        decisions = d.pop("decisions")

        packs = TrafficCountedPacks.from_dict(d.pop("packs"))

        other_rules = TrafficCountedOtherRules.from_dict(d.pop("other_rules"))

        truncated = d.pop("truncated")

        unanswered_runs = d.pop("unanswered_runs")

        traffic_counted = cls(
            tenant=tenant,
            from_=from_,
            to=to,
            conversations=conversations,
            decisions=decisions,
            packs=packs,
            other_rules=other_rules,
            truncated=truncated,
            unanswered_runs=unanswered_runs,
        )

        traffic_counted.additional_properties = d
        return traffic_counted

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
