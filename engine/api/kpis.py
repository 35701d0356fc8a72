"""`GET /v1/kpis`: the tenant's KPIs by group and period, JSON or CSV, each value with its conversations.

docs/kpis.md defines every KPI. Parameters: `from`, `to` (ISO time or date; default the last 7
days), `group_by` (comma-separated: team, channel, agent, priority), `interval` (day or week),
`tz` (the IANA time zone whose days and weeks they are, and of a `from`/`to` without an offset),
`format=csv` (or `Accept: text/csv`), and `team`, `channel`, `agent`, `priority` to count only the
threads that have that value. A bad parameter is a 422 naming it. Only the caller's
tenant's facts are read.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field

from engine.api.auth import TENANT
from engine.api.conversations import DATABASE
from engine.api.errors import check_parameters, invalid_field
from engine.kpis.query import KpiQueryError, parse_query
from engine.kpis.report import to_csv
from engine.service.kpis import kpi_report

routes = web.RouteTableDef()
FILTERS = ("team", "channel", "agent", "priority")
PARAMETERS = ("from", "to", "group_by", "interval", "tz", "format", *FILTERS)


class KpiReport(BaseModel):
    """The report: one row per group and period; every metric lists the conversations behind it."""

    tenant: str
    from_: datetime = Field(alias="from")
    to: datetime = Field(
        description="Every row is measured as of this instant: its threads' facts before `to` count, "
        "also those after the row's own period (docs/kpis.md)."
    )
    group_by: list[str]
    interval: str | None
    rows: list[dict[str, Any]] = Field(
        description="`group` (the grouped attributes), `from`, `to` and `metrics`: each metric with its "
        "value(s) and `conversations` (drill-down ids); docs/kpis.md defines them."
    )


@routes.get("/v1/kpis")
async def get_kpis(request: web.Request) -> web.Response:
    check_parameters(request, PARAMETERS)
    params = request.query
    wanted = params.get("format")
    if wanted not in (None, "json", "csv"):
        raise invalid_field("format", "json or csv")
    try:
        query = parse_query(
            start=params.get("from"),
            end=params.get("to"),
            group_by=params.get("group_by"),
            interval=params.get("interval"),
            now=datetime.now(UTC),
            filters={name: params.get(name) for name in FILTERS},
            tz=params.get("tz"),
        )
    except KpiQueryError as exc:
        raise invalid_field(exc.parameter, exc.message) from None
    rows = await kpi_report(request.app[DATABASE], request[TENANT], query)
    # A week of a busy desk is megabytes of drill-down ids: encoded off the event loop, which serves
    # other requests meanwhile (~0.1 s of CPU at 100,000 conversations a month).
    if wanted == "csv" or (wanted is None and "text/csv" in request.headers.get("Accept", "")):
        text = await asyncio.to_thread(to_csv, rows)
        return web.Response(text=text, content_type="text/csv", charset="utf-8")
    document = {
        "tenant": request[TENANT],
        "from": query.start.isoformat(),
        "to": query.end.isoformat(),
        "group_by": list(query.group_by),
        "interval": query.interval,
        "rows": rows,
    }
    return web.json_response(text=await asyncio.to_thread(json.dumps, document))
