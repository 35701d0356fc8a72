from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.kpi_report_rows_item import KpiReportRowsItem


T = TypeVar("T", bound="KpiReport")


@_attrs_define
class KpiReport:
    """The report: one row per group and period; every metric lists the conversations behind it.

    Attributes:
        tenant (str):
        from_ (datetime.datetime):
        to (datetime.datetime): Every row is measured as of this instant: its threads' facts before `to` count, also
            those after the row's own period (docs/kpis.md).
        group_by (list[str]):
        interval (None | str):
        rows (list[KpiReportRowsItem]): `group` (the grouped attributes), `from`, `to` and `metrics`: each metric with
            its value(s) and `conversations` (drill-down ids); docs/kpis.md defines them.
    """

    tenant: str
    from_: datetime.datetime
    to: datetime.datetime
    group_by: list[str]
    interval: None | str
    rows: list[KpiReportRowsItem]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        tenant = self.tenant

        from_ = self.from_.isoformat()

        to = self.to.isoformat()

        group_by = self.group_by

        interval: None | str
        interval = self.interval

        rows = []
        for rows_item_data in self.rows:
            rows_item = rows_item_data.to_dict()
            rows.append(rows_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "tenant": tenant,
                "from": from_,
                "to": to,
                "group_by": group_by,
                "interval": interval,
                "rows": rows,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.kpi_report_rows_item import KpiReportRowsItem  # noqa: PLC0415

        d = dict(src_dict)
        tenant = d.pop("tenant")

        from_ = datetime.datetime.fromisoformat(d.pop("from"))

        to = datetime.datetime.fromisoformat(d.pop("to"))

        group_by = cast(list[str], d.pop("group_by"))

        def _parse_interval(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        interval = _parse_interval(d.pop("interval"))

        rows = []
        _rows = d.pop("rows")
        for rows_item_data in _rows:
            rows_item = KpiReportRowsItem.from_dict(rows_item_data)

            rows.append(rows_item)

        kpi_report = cls(
            tenant=tenant,
            from_=from_,
            to=to,
            group_by=group_by,
            interval=interval,
            rows=rows,
        )

        kpi_report.additional_properties = d
        return kpi_report

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
