from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.decided_action import DecidedAction
    from ..models.rule_outcome import RuleOutcome


T = TypeVar("T", bound="DecisionRecord")


@_attrs_define
class DecisionRecord:
    """The decision record's schema: what `Decision.model_dump(mode="json")` gives, field for field.

    Attributes:
        pack (str):
        pack_hash (str):
        event (str):
        event_time (datetime.datetime):
        rules (list[RuleOutcome] | Unset):
        actions (list[DecidedAction] | Unset):
    """

    pack: str
    pack_hash: str
    event: str
    event_time: datetime.datetime
    rules: list[RuleOutcome] | Unset = UNSET
    actions: list[DecidedAction] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        pack = self.pack

        pack_hash = self.pack_hash

        event = self.event

        event_time = self.event_time.isoformat()

        rules: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.rules, Unset):
            rules = []
            for rules_item_data in self.rules:
                rules_item = rules_item_data.to_dict()
                rules.append(rules_item)

        actions: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.actions, Unset):
            actions = []
            for actions_item_data in self.actions:
                actions_item = actions_item_data.to_dict()
                actions.append(actions_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "pack": pack,
                "pack_hash": pack_hash,
                "event": event,
                "event_time": event_time,
            }
        )
        if rules is not UNSET:
            field_dict["rules"] = rules
        if actions is not UNSET:
            field_dict["actions"] = actions

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.decided_action import DecidedAction  # noqa: PLC0415
        from ..models.rule_outcome import RuleOutcome  # noqa: PLC0415

        d = dict(src_dict)
        pack = d.pop("pack")

        pack_hash = d.pop("pack_hash")

        event = d.pop("event")

        event_time = datetime.datetime.fromisoformat(d.pop("event_time"))

        _rules = d.pop("rules", UNSET)
        rules: list[RuleOutcome] | Unset = UNSET
        if _rules is not UNSET:
            rules = []
            for rules_item_data in _rules:
                rules_item = RuleOutcome.from_dict(rules_item_data)

                rules.append(rules_item)

        _actions = d.pop("actions", UNSET)
        actions: list[DecidedAction] | Unset = UNSET
        if _actions is not UNSET:
            actions = []
            for actions_item_data in _actions:
                actions_item = DecidedAction.from_dict(actions_item_data)

                actions.append(actions_item)

        decision_record = cls(
            pack=pack,
            pack_hash=pack_hash,
            event=event,
            event_time=event_time,
            rules=rules,
            actions=actions,
        )

        decision_record.additional_properties = d
        return decision_record

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
