"""The console's KPI pages: the overview (tiles and daily charts) and each figure's conversations.

Both read the KPI report of `GET /v1/kpis` (engine/service/kpis.py) with the same parameters, so a
number on screen and its drill-down list are the same computation. Dates in the form are whole
days of the chosen time zone (UTC unless another is picked: an ops lead in New York reads New York's
days), `to` included (what a person means by "from Monday to Friday").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from aiohttp import web

from engine.api.agents import active_pack
from engine.api.auth import TENANT
from engine.api.console.charts import METRICS, RATES, charts, drill_down, tiles
from engine.api.console.render import page
from engine.api.console.sessions import SESSION
from engine.api.conversations import DATABASE
from engine.api.errors import invalid_field
from engine.contracts.conversation import Channel
from engine.kpis.query import KpiQuery, KpiQueryError, parse_query, time_zone
from engine.periods import PeriodError, instant
from engine.rules.pack import RulePack
from engine.service.kpis import kpi_report, kpi_reports

routes = web.RouteTableDef()
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class Filters:
    """The overview's form, as typed (echoed back into it) and as a KPI query's texts."""

    start: str
    end: str
    team: str
    channel: str
    tz: str

    @classmethod
    def of(cls, request: web.Request, pack: RulePack) -> Filters:
        q = request.query
        tz = q.get("tz") or home_zone(pack)
        try:
            today = datetime.now(time_zone(tz)).date()
        except KpiQueryError:  # named by `query`, on the page that shows the form again
            today = datetime.now(UTC).date()
        return cls(
            start=q.get("from") or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
            end=q.get("to") or today.isoformat(),
            team=q.get("team", ""),
            channel=q.get("channel", ""),
            tz=tz,
        )

    def query(self, interval: str | None, now: datetime) -> KpiQuery:
        try:  # the form's first field named first: a bad `to` hid a bad `from`
            instant("from", self.start)
        except PeriodError as exc:
            raise KpiQueryError(exc.parameter, exc.message) from None
        try:
            last = date.fromisoformat(self.end)
        except ValueError:
            raise KpiQueryError(
                "to", f"{self.end[:40]!r} is not a date (write YYYY-MM-DD, such as 2026-11-30)"
            ) from None
        return parse_query(
            start=self.start,
            end=(last + timedelta(days=1)).isoformat(),
            group_by=None,
            interval=interval,
            now=now,
            filters={"team": self.team or None, "channel": self.channel or None},
            tz=self.tz,
        )

    def link(self) -> str:
        """The same filters as a query string, for the drill-down links."""
        return urlencode(
            {"from": self.start, "to": self.end, "team": self.team, "channel": self.channel, "tz": self.tz}
        )


def home_zone(pack: RulePack) -> str:
    """The zone the page opens in: that of the calendar business hours are read from when nothing
    else names one (a team's, an SLA policy's), so a lead in Berlin sees Berlin's days, not UTC's,
    where a day's last hours were counted on the next one."""
    name = pack.business_hours_calendar(None, None)
    zone = pack.calendars.get(name or "", {}).get("timezone")
    return str(zone) if zone else "UTC"


def zones(pack: RulePack, chosen: str) -> list[str]:
    """The time zones the form offers: UTC, those of the pack's calendars (where its people work)
    and the one a link asked for."""
    named = {str(c.get("timezone")) for c in pack.calendars.values() if c.get("timezone")}
    return ["UTC", *sorted(named - {"UTC"}), *([chosen] if chosen not in named | {"UTC"} else [])]


@routes.get("/console/")
async def overview(request: web.Request) -> web.Response:
    pack = await active_pack(request)
    filters = Filters.of(request, pack)
    values = {
        "session": request[SESSION],
        "filters": filters,
        # A team the pack no longer has (or a link's typo) is shown as the filter it is: the page said
        # "all teams" beside "No conversations in this period".
        "teams": [*sorted(pack.teams), *([filters.team] if filters.team not in {"", *pack.teams} else [])],
        "zones": zones(pack, filters.tz),
        "channels": [c.value for c in Channel],
        "error": None,
        "tiles": [],
        "charts": [],
        "chart_data": "[]",
        "link": filters.link(),
    }
    try:
        now = datetime.now(UTC)  # once: the totals and the days end at the same instant
        daily, whole = filters.query("day", now), filters.query(None, now)
    except KpiQueryError as exc:
        values["error"] = f"{exc.parameter}: {exc.message}"
        return page(request, "overview.html.j2", values, status=422)
    database, tenant = request.app[DATABASE], request[TENANT]
    totals, days = await kpi_reports(database, tenant, [whole, daily])
    if totals:
        values["tiles"] = tiles(totals[0]["metrics"])
    drawn = charts(days, daily.start, daily.end)
    values["charts"] = drawn
    # JSON inside <script type="application/json">: `</` escaped so no value can close the element.
    values["chart_data"] = json.dumps(drawn).replace("</", "<\\/")
    return page(request, "overview.html.j2", values)


@routes.get("/console")
async def console_root(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/console/")


@routes.get("/console/kpis/{metric}")
async def metric_conversations(request: web.Request) -> web.Response:
    """The conversations behind one figure of the overview (with `missed=1`, a rate's misses)."""
    metric = request.match_info["metric"]
    if metric not in METRICS:
        raise invalid_field("metric", f"one of {', '.join(METRICS)}")
    filters = Filters.of(request, await active_pack(request))
    try:
        query = filters.query(None, datetime.now(UTC))
    except KpiQueryError as exc:
        raise invalid_field(exc.parameter, exc.message) from None
    missed = request.query.get("missed") == "1" and metric in RATES
    rows = await kpi_report(request.app[DATABASE], request[TENANT], query)
    ids = drill_down(rows[0]["metrics"], metric, missed=missed) if rows else []
    return page(
        request,
        "metric.html.j2",
        {
            "session": request[SESSION],
            "metric": metric,
            "title": METRICS[metric],
            "missed": missed,
            "filters": filters,
            "conversations": ids,
        },
    )
