from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.executed_action_action import ExecutedActionAction


T = TypeVar("T", bound="ExecutedAction")


@_attrs_define
class ExecutedAction:
    """
    Attributes:
        index (str): Action index in the decision; `2.1` is an escalation level's first.
        action (ExecutedActionAction):
        outcome (str | Unset):  Default: 'done'.
        detail (None | str | Unset):
    """

    index: str
    action: ExecutedActionAction
    outcome: str | Unset = "done"
    detail: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        index = self.index

        action = self.action.to_dict()

        outcome = self.outcome

        detail: None | str | Unset
        if isinstance(self.detail, Unset):
            detail = UNSET
        else:
            detail = self.detail

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "index": index,
                "action": action,
            }
        )
        if outcome is not UNSET:
            field_dict["outcome"] = outcome
        if detail is not UNSET:
            field_dict["detail"] = detail

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.executed_action_action import ExecutedActionAction  # noqa: PLC0415

        d = dict(src_dict)
        index = d.pop("index")

        action = ExecutedActionAction.from_dict(d.pop("action"))

        outcome = d.pop("outcome", UNSET)

        def _parse_detail(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        detail = _parse_detail(d.pop("detail", UNSET))

        executed_action = cls(
            index=index,
            action=action,
            outcome=outcome,
            detail=detail,
        )

        executed_action.additional_properties = d
        return executed_action

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
