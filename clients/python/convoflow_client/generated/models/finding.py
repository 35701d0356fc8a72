from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.finding_severity import FindingSeverity
from ..types import UNSET, Unset

T = TypeVar("T", bound="Finding")


@_attrs_define
class Finding:
    """One finding of `rules check`.

    Attributes:
        severity (FindingSeverity): error (publishing refuses the pack), warning or info.
        code (str): Stable name of the kind of finding, e.g. `shadowed` or `unknown-reference`.
        path (str): Where in the pack, e.g. `rules[3].if.and[1]` (empty: the pack as a whole).
        message (str): What happens, in words an ops person acts on.
        rules (list[str] | Unset): The ids of the rules concerned, the one the path points into first.
        line (int | None | Unset): The line of `path` in the pack's YAML, when the pack came as text.
    """

    severity: FindingSeverity
    code: str
    path: str
    message: str
    rules: list[str] | Unset = UNSET
    line: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        severity = self.severity.value

        code = self.code

        path = self.path

        message = self.message

        rules: list[str] | Unset = UNSET
        if not isinstance(self.rules, Unset):
            rules = self.rules

        line: int | None | Unset
        if isinstance(self.line, Unset):
            line = UNSET
        else:
            line = self.line

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "severity": severity,
                "code": code,
                "path": path,
                "message": message,
            }
        )
        if rules is not UNSET:
            field_dict["rules"] = rules
        if line is not UNSET:
            field_dict["line"] = line

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        severity = FindingSeverity(d.pop("severity"))

        code = d.pop("code")

        path = d.pop("path")

        message = d.pop("message")

        rules = cast(list[str], d.pop("rules", UNSET))

        def _parse_line(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        line = _parse_line(d.pop("line", UNSET))

        finding = cls(
            severity=severity,
            code=code,
            path=path,
            message=message,
            rules=rules,
            line=line,
        )

        return finding
