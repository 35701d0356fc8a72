from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.event_tally import EventTally
    from ..models.live_pack_tally import LivePackTally
    from ..models.rule_tally import RuleTally
    from ..models.tally import Tally


T = TypeVar("T", bound="ShadowReport")


@_attrs_define
class ShadowReport:
    """`GET /v1/rules/shadow/report`.

    Attributes:
        tenant (str):
        from_ (str):
        to (str):
        shadow_hash (None | str):
        total (Tally):
        by_event (list[EventTally]):
        by_live_pack (list[LivePackTally]):
        by_rule (list[RuleTally]):
    """

    tenant: str
    from_: str
    to: str
    shadow_hash: None | str
    total: Tally
    by_event: list[EventTally]
    by_live_pack: list[LivePackTally]
    by_rule: list[RuleTally]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        tenant = self.tenant

        from_ = self.from_

        to = self.to

        shadow_hash: None | str
        shadow_hash = self.shadow_hash

        total = self.total.to_dict()

        by_event = []
        for by_event_item_data in self.by_event:
            by_event_item = by_event_item_data.to_dict()
            by_event.append(by_event_item)

        by_live_pack = []
        for by_live_pack_item_data in self.by_live_pack:
            by_live_pack_item = by_live_pack_item_data.to_dict()
            by_live_pack.append(by_live_pack_item)

        by_rule = []
        for by_rule_item_data in self.by_rule:
            by_rule_item = by_rule_item_data.to_dict()
            by_rule.append(by_rule_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "tenant": tenant,
                "from": from_,
                "to": to,
                "shadow_hash": shadow_hash,
                "total": total,
                "by_event": by_event,
                "by_live_pack": by_live_pack,
                "by_rule": by_rule,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.event_tally import EventTally  # noqa: PLC0415
        from ..models.live_pack_tally import LivePackTally  # noqa: PLC0415
        from ..models.rule_tally import RuleTally  # noqa: PLC0415
        from ..models.tally import Tally  # noqa: PLC0415

        d = dict(src_dict)
        tenant = d.pop("tenant")

        from_ = d.pop("from")

        to = d.pop("to")

        def _parse_shadow_hash(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        shadow_hash = _parse_shadow_hash(d.pop("shadow_hash"))

        total = Tally.from_dict(d.pop("total"))

        by_event = []
        _by_event = d.pop("by_event")
        for by_event_item_data in _by_event:
            by_event_item = EventTally.from_dict(by_event_item_data)

            by_event.append(by_event_item)

        by_live_pack = []
        _by_live_pack = d.pop("by_live_pack")
        for by_live_pack_item_data in _by_live_pack:
            by_live_pack_item = LivePackTally.from_dict(by_live_pack_item_data)

            by_live_pack.append(by_live_pack_item)

        by_rule = []
        _by_rule = d.pop("by_rule")
        for by_rule_item_data in _by_rule:
            by_rule_item = RuleTally.from_dict(by_rule_item_data)

            by_rule.append(by_rule_item)

        shadow_report = cls(
            tenant=tenant,
            from_=from_,
            to=to,
            shadow_hash=shadow_hash,
            total=total,
            by_event=by_event,
            by_live_pack=by_live_pack,
            by_rule=by_rule,
        )

        shadow_report.additional_properties = d
        return shadow_report

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
