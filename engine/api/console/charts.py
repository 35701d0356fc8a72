"""KPI report rows -> what the overview shows: tiles for the period, daily series for the charts.

Pure shaping, no arithmetic of its own: every number is a value of `GET /v1/kpis` (the same report,
engine/kpis/report.py), only converted to hours or percent for reading, so what the console shows is
what an integrator's CSV holds and what docs/kpis.md defines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

HOUR = 3600.0
# The rates a tile shows as percent, and which of their conversations "missed" lists.
RATES = {
    "sla_first_response": "First response within SLA",
    "sla_next_response": "Next response within SLA",
    "sla_resolution": "Resolution within SLA",
    "csat": "CSAT (rated 4 or 5)",
    "one_touch_resolution_rate": "One-touch resolution",
    "survey_response_rate": "Survey response rate",
}
TIMES = {
    "first_response_time": "First response time",
    "next_reply_time": "Next reply time",
    "full_resolution_time": "Full resolution time",
    "requester_wait_time": "Requester wait time",
    "on_hold_time": "On-hold time",
}
COUNTS = {"volume": "Conversations begun", "reopens": "Reopens", "backlog": "Backlog at the end"}
METRICS = {**COUNTS, **TIMES, **RATES}
_MODES = {"scatter": {"mode": "lines+markers"}}


@dataclass(frozen=True)
class Tile:
    metric: str
    title: str
    value: str
    detail: str

    @property
    def lists_misses(self) -> bool:
        """A rate's tile links to the conversations that missed it (README: "a rate lists its misses")."""
        return self.metric in RATES


def _hours(seconds: float | None) -> str:
    """A duration as a tile shows it: seconds under a minute (a chat answered in 21 s read "0 min"),
    minutes under an hour, else hours."""
    if seconds is None:
        return "n/a"
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    return f"{seconds / HOUR:.1f} h" if seconds >= HOUR else f"{seconds / 60:.0f} min"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def tiles(metrics: dict[str, Any]) -> list[Tile]:
    """The period's figures, each a link to its conversations (the report's drill-down ids)."""
    out = [
        Tile("volume", COUNTS["volume"], str(metrics["volume"]["value"]), "threads begun in the period"),
        Tile(
            "backlog",
            COUNTS["backlog"],
            str(metrics["backlog"]["value"]),
            f"median age {_hours(metrics['backlog']['age_median_seconds'])}",
        ),
    ]
    for name in ("first_response_time", "full_resolution_time"):
        m = metrics[name]
        out.append(
            Tile(
                name,
                f"{TIMES[name]} (median)",
                _hours(m["median_seconds"]),
                f"business {_hours(m['business_median_seconds'])} · {m['count']} measured",
            )
        )
    for name in ("sla_first_response", "sla_resolution", "csat", "one_touch_resolution_rate"):
        m = metrics[name]
        out.append(Tile(name, RATES[name], _percent(m["value"]), f"{m['numerator']} of {m['denominator']}"))
    out.append(Tile("reopens", COUNTS["reopens"], str(metrics["reopens"]["value"]), "in threads begun"))
    return out


def drill_down(metrics: dict[str, Any], metric: str, *, missed: bool) -> list[str]:
    """The conversations behind a metric; for a rate with `missed`, those that did not count as hits
    (breached SLAs, negative ratings)."""
    value = metrics[metric]
    ids: list[str] = value.get("conversations", [])
    if missed and "missing" in value:
        return list(value["missing"])
    return ids


def _days(start: datetime, end: datetime) -> list[date]:
    days, day = [], start.date()
    while datetime.combine(day, datetime.min.time(), start.tzinfo) < end:
        days.append(day)
        day += timedelta(days=1)
    return days


def charts(rows: list[dict[str, Any]], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Daily series (rows of a report with `interval=day` and no grouping): one chart per topic, each
    with its traces as plotly.js takes them and the same numbers as a table for reading."""
    by_day = {row["from"][:10]: row["metrics"] for row in rows}
    days = [d.isoformat() for d in _days(start, end)]

    def series(pick: Any) -> list[Any]:
        return [pick(by_day[d]) if d in by_day else None for d in days]

    def hours(metric: str, key: str) -> Any:
        def pick(m: dict[str, Any]) -> float | None:
            seconds = m[metric][key]
            return None if seconds is None else round(seconds / HOUR, 2)

        return pick

    def percent(metric: str) -> Any:
        return lambda m: None if m[metric]["value"] is None else round(m[metric]["value"] * 100, 1)

    volume = [v or 0 for v in series(lambda m: m["volume"]["value"])]
    return [
        _chart(
            "volume",
            "Conversations begun and backlog, per day",
            days,
            [
                ("bar", "begun", volume),
                ("scatter", "backlog at day end", series(lambda m: m["backlog"]["value"])),
            ],
            "conversations",
        ),
        _chart(
            "first-response",
            "First response time, median per day",
            days,
            [
                ("scatter", "calendar hours", series(hours("first_response_time", "median_seconds"))),
                (
                    "scatter",
                    "business hours",
                    series(hours("first_response_time", "business_median_seconds")),
                ),
            ],
            "hours",
        ),
        _chart(
            "sla",
            "SLA achievement per day",
            days,
            [
                ("scatter", "first response", series(percent("sla_first_response"))),
                ("scatter", "next response", series(percent("sla_next_response"))),
                ("scatter", "resolution", series(percent("sla_resolution"))),
            ],
            "percent",
        ),
    ]


def _chart(
    chart_id: str, title: str, days: list[str], traces: list[tuple[str, str, list[Any]]], unit: str
) -> dict[str, Any]:
    return {
        "id": chart_id,
        "title": title,
        "unit": unit,
        "days": days,
        "traces": [
            {
                "type": kind,
                "name": name,
                "x": days,
                "y": values,
                **({"mode": "lines+markers"} if kind == "scatter" else {}),
            }
            for kind, name, values in traces
        ],
    }
