from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.decision_entry_assignment_type_0 import DecisionEntryAssignmentType0
    from ..models.decision_entry_decision_type_0 import DecisionEntryDecisionType0
    from ..models.decision_entry_kpi_type_0 import DecisionEntryKpiType0
    from ..models.decision_entry_triage_type_0 import DecisionEntryTriageType0
    from ..models.executed_action import ExecutedAction


T = TypeVar("T", bound="DecisionEntry")


@_attrs_define
class DecisionEntry:
    """One event's decision and what was done about it: the auditor's trail.

    Attributes:
        seq (int):
        event (str):
        at (datetime.datetime):
        handled_at (datetime.datetime | None | Unset): When the workflow handled the event, when that was over a minute
            after `at`: a timer whose instant had passed (a back-dated message's breach, a worker that was down). Its
            effects went out then, not at `at`.
        depth (int | Unset):  Default: 0.
        decision (DecisionEntryDecisionType0 | None | Unset):
        executed (list[ExecutedAction] | Unset):
        note (None | str | Unset):
        thread (int | Unset):  Default: 1.
        message_id (None | str | Unset): The channel message id of a message event.
        assignment (DecisionEntryAssignmentType0 | None | Unset): The desk's record of an assignment: candidates,
            filters, strategy, choice.
        kpi (DecisionEntryKpiType0 | None | Unset): What the KPI facts of this event are grouped and measured by
            (engine/kpis/facts.py): channel, team, assignee, priority, status change, SLA target, rating; never message
            text.
        triage (DecisionEntryTriageType0 | None | Unset): The customer message's classification (issue 22): language,
            intent and sentiment with every score, the intent model's hash and the words that weighed most.
    """

    seq: int
    event: str
    at: datetime.datetime
    handled_at: datetime.datetime | None | Unset = UNSET
    depth: int | Unset = 0
    decision: DecisionEntryDecisionType0 | None | Unset = UNSET
    executed: list[ExecutedAction] | Unset = UNSET
    note: None | str | Unset = UNSET
    thread: int | Unset = 1
    message_id: None | str | Unset = UNSET
    assignment: DecisionEntryAssignmentType0 | None | Unset = UNSET
    kpi: DecisionEntryKpiType0 | None | Unset = UNSET
    triage: DecisionEntryTriageType0 | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.decision_entry_assignment_type_0 import DecisionEntryAssignmentType0  # noqa: PLC0415
        from ..models.decision_entry_decision_type_0 import DecisionEntryDecisionType0  # noqa: PLC0415
        from ..models.decision_entry_kpi_type_0 import DecisionEntryKpiType0  # noqa: PLC0415
        from ..models.decision_entry_triage_type_0 import DecisionEntryTriageType0  # noqa: PLC0415

        seq = self.seq

        event = self.event

        at = self.at.isoformat()

        handled_at: None | str | Unset
        if isinstance(self.handled_at, Unset):
            handled_at = UNSET
        elif isinstance(self.handled_at, datetime.datetime):
            handled_at = self.handled_at.isoformat()
        else:
            handled_at = self.handled_at

        depth = self.depth

        decision: dict[str, Any] | None | Unset
        if isinstance(self.decision, Unset):
            decision = UNSET
        elif isinstance(self.decision, DecisionEntryDecisionType0):
            decision = self.decision.to_dict()
        else:
            decision = self.decision

        executed: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.executed, Unset):
            executed = []
            for executed_item_data in self.executed:
                executed_item = executed_item_data.to_dict()
                executed.append(executed_item)

        note: None | str | Unset
        if isinstance(self.note, Unset):
            note = UNSET
        else:
            note = self.note

        thread = self.thread

        message_id: None | str | Unset
        if isinstance(self.message_id, Unset):
            message_id = UNSET
        else:
            message_id = self.message_id

        assignment: dict[str, Any] | None | Unset
        if isinstance(self.assignment, Unset):
            assignment = UNSET
        elif isinstance(self.assignment, DecisionEntryAssignmentType0):
            assignment = self.assignment.to_dict()
        else:
            assignment = self.assignment

        kpi: dict[str, Any] | None | Unset
        if isinstance(self.kpi, Unset):
            kpi = UNSET
        elif isinstance(self.kpi, DecisionEntryKpiType0):
            kpi = self.kpi.to_dict()
        else:
            kpi = self.kpi

        triage: dict[str, Any] | None | Unset
        if isinstance(self.triage, Unset):
            triage = UNSET
        elif isinstance(self.triage, DecisionEntryTriageType0):
            triage = self.triage.to_dict()
        else:
            triage = self.triage

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "seq": seq,
                "event": event,
                "at": at,
            }
        )
        if handled_at is not UNSET:
            field_dict["handled_at"] = handled_at
        if depth is not UNSET:
            field_dict["depth"] = depth
        if decision is not UNSET:
            field_dict["decision"] = decision
        if executed is not UNSET:
            field_dict["executed"] = executed
        if note is not UNSET:
            field_dict["note"] = note
        if thread is not UNSET:
            field_dict["thread"] = thread
        if message_id is not UNSET:
            field_dict["message_id"] = message_id
        if assignment is not UNSET:
            field_dict["assignment"] = assignment
        if kpi is not UNSET:
            field_dict["kpi"] = kpi
        if triage is not UNSET:
            field_dict["triage"] = triage

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.decision_entry_assignment_type_0 import DecisionEntryAssignmentType0  # noqa: PLC0415
        from ..models.decision_entry_decision_type_0 import DecisionEntryDecisionType0  # noqa: PLC0415
        from ..models.decision_entry_kpi_type_0 import DecisionEntryKpiType0  # noqa: PLC0415
        from ..models.decision_entry_triage_type_0 import DecisionEntryTriageType0  # noqa: PLC0415
        from ..models.executed_action import ExecutedAction  # noqa: PLC0415

        d = dict(src_dict)
        seq = d.pop("seq")

        event = d.pop("event")

        at = datetime.datetime.fromisoformat(d.pop("at"))

        def _parse_handled_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                handled_at_type_0 = datetime.datetime.fromisoformat(data)

                return handled_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        handled_at = _parse_handled_at(d.pop("handled_at", UNSET))

        depth = d.pop("depth", UNSET)

        def _parse_decision(data: object) -> DecisionEntryDecisionType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                decision_type_0 = DecisionEntryDecisionType0.from_dict(data)

                return decision_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DecisionEntryDecisionType0 | None | Unset, data)

        decision = _parse_decision(d.pop("decision", UNSET))

        _executed = d.pop("executed", UNSET)
        executed: list[ExecutedAction] | Unset = UNSET
        if _executed is not UNSET:
            executed = []
            for executed_item_data in _executed:
                executed_item = ExecutedAction.from_dict(executed_item_data)

                executed.append(executed_item)

        def _parse_note(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        note = _parse_note(d.pop("note", UNSET))

        thread = d.pop("thread", UNSET)

        def _parse_message_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        message_id = _parse_message_id(d.pop("message_id", UNSET))

        def _parse_assignment(data: object) -> DecisionEntryAssignmentType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                assignment_type_0 = DecisionEntryAssignmentType0.from_dict(data)

                return assignment_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DecisionEntryAssignmentType0 | None | Unset, data)

        assignment = _parse_assignment(d.pop("assignment", UNSET))

        def _parse_kpi(data: object) -> DecisionEntryKpiType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                kpi_type_0 = DecisionEntryKpiType0.from_dict(data)

                return kpi_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DecisionEntryKpiType0 | None | Unset, data)

        kpi = _parse_kpi(d.pop("kpi", UNSET))

        def _parse_triage(data: object) -> DecisionEntryTriageType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                triage_type_0 = DecisionEntryTriageType0.from_dict(data)

                return triage_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DecisionEntryTriageType0 | None | Unset, data)

        triage = _parse_triage(d.pop("triage", UNSET))

        decision_entry = cls(
            seq=seq,
            event=event,
            at=at,
            handled_at=handled_at,
            depth=depth,
            decision=decision,
            executed=executed,
            note=note,
            thread=thread,
            message_id=message_id,
            assignment=assignment,
            kpi=kpi,
            triage=triage,
        )

        decision_entry.additional_properties = d
        return decision_entry

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
