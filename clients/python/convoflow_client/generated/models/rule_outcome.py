from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.rule_outcome_outcome import RuleOutcomeOutcome
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.rule_outcome_reads import RuleOutcomeReads


T = TypeVar("T", bound="RuleOutcome")


@_attrs_define
class RuleOutcome:
    """One rule's row of a decision record.

    Attributes:
        id (str):
        outcome (RuleOutcomeOutcome):
        reads (RuleOutcomeReads | Unset):
        error (None | str | Unset):
    """

    id: str
    outcome: RuleOutcomeOutcome
    reads: RuleOutcomeReads | Unset = UNSET
    error: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        outcome = self.outcome.value

        reads: dict[str, Any] | Unset = UNSET
        if not isinstance(self.reads, Unset):
            reads = self.reads.to_dict()

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "outcome": outcome,
            }
        )
        if reads is not UNSET:
            field_dict["reads"] = reads
        if error is not UNSET:
            field_dict["error"] = error

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.rule_outcome_reads import RuleOutcomeReads  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        outcome = RuleOutcomeOutcome(d.pop("outcome"))

        _reads = d.pop("reads", UNSET)
        reads: RuleOutcomeReads | Unset
        if isinstance(_reads, Unset):
            reads = UNSET
        else:
            reads = RuleOutcomeReads.from_dict(_reads)

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        rule_outcome = cls(
            id=id,
            outcome=outcome,
            reads=reads,
            error=error,
        )

        rule_outcome.additional_properties = d
        return rule_outcome

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
