from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.earlier_breach import EarlierBreach
    from ..models.pending_escalation import PendingEscalation
    from ..models.sla_view_targets import SlaViewTargets


T = TypeVar("T", bound="SlaView")


@_attrs_define
class SlaView:
    """
    Attributes:
        policy (None | str):
        breached (bool):
        targets (SlaViewTargets): Each target's clock (first_response, next_response, resolution): `deadline` while it
            runs; `remaining_minutes` the business minutes it had left when it last paused or (re)started, not a live count
            (the rule context's `sla.*_remaining_minutes` is), 0 once breached and null once met (`met_at`); `paused_at`
            when it last paused, kept after it resumes (`started_at` is later then).
        escalations (list[PendingEscalation]): The policy's escalation levels still to come, each after its target's
            breach.
        earlier_breaches (list[EarlierBreach]): Targets of this thread that breached and gave way to a new clock of
            their name (a next response to a later message, a reopen's resolution, a changed policy's): `breached` counts
            them.
    """

    policy: None | str
    breached: bool
    targets: SlaViewTargets
    escalations: list[PendingEscalation]
    earlier_breaches: list[EarlierBreach]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        policy: None | str
        policy = self.policy

        breached = self.breached

        targets = self.targets.to_dict()

        escalations = []
        for escalations_item_data in self.escalations:
            escalations_item = escalations_item_data.to_dict()
            escalations.append(escalations_item)

        earlier_breaches = []
        for earlier_breaches_item_data in self.earlier_breaches:
            earlier_breaches_item = earlier_breaches_item_data.to_dict()
            earlier_breaches.append(earlier_breaches_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "policy": policy,
                "breached": breached,
                "targets": targets,
                "escalations": escalations,
                "earlier_breaches": earlier_breaches,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.earlier_breach import EarlierBreach  # noqa: PLC0415
        from ..models.pending_escalation import PendingEscalation  # noqa: PLC0415
        from ..models.sla_view_targets import SlaViewTargets  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_policy(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        policy = _parse_policy(d.pop("policy"))

        breached = d.pop("breached")

        targets = SlaViewTargets.from_dict(d.pop("targets"))

        escalations = []
        _escalations = d.pop("escalations")
        for escalations_item_data in _escalations:
            escalations_item = PendingEscalation.from_dict(escalations_item_data)

            escalations.append(escalations_item)

        earlier_breaches = []
        _earlier_breaches = d.pop("earlier_breaches")
        for earlier_breaches_item_data in _earlier_breaches:
            earlier_breaches_item = EarlierBreach.from_dict(earlier_breaches_item_data)

            earlier_breaches.append(earlier_breaches_item)

        sla_view = cls(
            policy=policy,
            breached=breached,
            targets=targets,
            escalations=escalations,
            earlier_breaches=earlier_breaches,
        )

        sla_view.additional_properties = d
        return sla_view

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
