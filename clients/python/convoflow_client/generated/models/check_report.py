from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.finding import Finding


T = TypeVar("T", bound="CheckReport")


@_attrs_define
class CheckReport:
    """Every finding of one pack, errors first, and the counts `publish` and the CLI's exit code read.

    Attributes:
        findings (list[Finding]): Errors, then warnings, then infos; in pack order within each.
        errors (int): Findings of severity error: publishing refuses the pack while there is one.
        warnings (int): Findings of severity warning.
    """

    findings: list[Finding]
    errors: int
    warnings: int

    def to_dict(self) -> dict[str, Any]:
        findings = []
        for findings_item_data in self.findings:
            findings_item = findings_item_data.to_dict()
            findings.append(findings_item)

        errors = self.errors

        warnings = self.warnings

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "findings": findings,
                "errors": errors,
                "warnings": warnings,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.finding import Finding  # noqa: PLC0415

        d = dict(src_dict)
        findings = []
        _findings = d.pop("findings")
        for findings_item_data in _findings:
            findings_item = Finding.from_dict(findings_item_data)

            findings.append(findings_item)

        errors = d.pop("errors")

        warnings = d.pop("warnings")

        check_report = cls(
            findings=findings,
            errors=errors,
            warnings=warnings,
        )

        return check_report
