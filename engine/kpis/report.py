"""Threads -> KPI rows by group and interval, each value with the conversations behind it (drill-down).

A thread belongs to the period in which it began (its first customer message); the backlog is read
at each period's end over every thread begun before it. docs/kpis.md defines each metric.
"""

from __future__ import annotations

import csv
import io
import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from engine.kpis.threads import POSITIVE_RATING, RESOLVED, SLA_TARGETS, Measure, ThreadKpis

GROUPS = ("team", "channel", "agent", "priority")
INTERVALS = {"day": timedelta(days=1), "week": timedelta(days=7)}
_CONVERSATION = attrgetter("conversation_id")
_ATTRIBUTE = {"team": "team", "channel": "channel", "agent": "assignee", "priority": "priority"}


def _ids(threads: Sequence[ThreadKpis]) -> list[str]:
    # `report` hands in threads in conversation order: the sort then only checks it (linear).
    return sorted(dict.fromkeys(map(_CONVERSATION, threads)))


def _seconds(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "median": None}
    return {"mean": round(statistics.fmean(values), 3), "median": round(statistics.median(values), 3)}


def _time(pairs: list[tuple[ThreadKpis, Measure]]) -> dict[str, Any]:
    """Mean and median in calendar and business seconds (business only over threads that have it)."""
    calendar = _seconds([m.calendar for _, m in pairs])
    business = _seconds([m.business for _, m in pairs if m.business is not None])
    return {
        "count": len(pairs),
        "mean_seconds": calendar["mean"],
        "median_seconds": calendar["median"],
        "business_mean_seconds": business["mean"],
        "business_median_seconds": business["median"],
        "conversations": _ids([t for t, _ in pairs]),
    }


def _rate(denominator: list[ThreadKpis], hit: Callable[[ThreadKpis], bool]) -> dict[str, Any]:
    matching = [t for t in denominator if hit(t)]
    return {
        "value": round(len(matching) / len(denominator), 6) if denominator else None,
        "numerator": len(matching),
        "denominator": len(denominator),
        "conversations": _ids(denominator),
        "matching": _ids(matching),
    }


def metrics(begun: list[ThreadKpis], known: list[ThreadKpis], at: datetime) -> dict[str, Any]:
    """The KPIs of the threads `begun` in a period, and the backlog at its end among all `known`."""
    begun_ids = _ids(begun)
    out: dict[str, Any] = {
        "volume": {"value": len(begun), "conversations": begun_ids},
        "customer_messages": {"value": sum(t.customer_messages for t in begun), "conversations": begun_ids},
        "first_response_time": _time([(t, t.first_response) for t in begun if t.first_response]),
        "next_reply_time": _time([(t, m) for t in begun for m in t.next_replies]),
        "full_resolution_time": _time([(t, t.resolution) for t in begun if t.resolution]),
        "requester_wait_time": _time([(t, t.requester_wait) for t in begun if t.requester_wait]),
        "on_hold_time": _time([(t, t.on_hold) for t in begun if t.on_hold]),
        "reopens": {
            "value": sum(t.reopens for t in begun),
            "conversations": _ids([t for t in begun if t.reopens]),
        },
        "one_touch_resolution_rate": _rate([t for t in begun if t.resolved_at], lambda t: t.one_touch),
        "csat": _rate(
            [t for t in begun if t.rating is not None], lambda t: (t.rating or 0) >= POSITIVE_RATING
        ),
        "survey_response_rate": _rate([t for t in begun if t.survey_sent], lambda t: t.rating is not None),
    }
    for target in SLA_TARGETS:
        counted = [t for t in begun if target in t.sla]
        out[f"sla_{target}"] = _rate(counted, _achieved(target))
    waiting = [t for t in known if (s := t.status_at(at)) is not None and s not in RESOLVED]
    out["backlog"] = {"value": len(waiting), "at": at.isoformat(), **_age(waiting, at)}
    return out


def _achieved(target: str) -> Callable[[ThreadKpis], bool]:
    return lambda t: t.sla[target] == "achieved"


def _age(threads: list[ThreadKpis], at: datetime) -> dict[str, Any]:
    age = _time([(t, t.measure(t.started_at, at)) for t in threads])
    return {
        "age_mean_seconds": age["mean_seconds"],
        "age_median_seconds": age["median_seconds"],
        "age_business_mean_seconds": age["business_mean_seconds"],
        "age_business_median_seconds": age["business_median_seconds"],
        "conversations": age["conversations"],
    }


def periods(start: datetime, end: datetime, interval: str | None) -> list[tuple[datetime, datetime]]:
    """The report's periods in order: `interval` long (the last one cut at `end`), or the whole range."""
    step = INTERVALS[interval] if interval else end - start
    out = []
    left = start
    while left < end:
        right = min(left + step, end)
        out.append((left, right))
        left = right
    return out


def _by_period(
    members: list[ThreadKpis], bounds: list[tuple[datetime, datetime]]
) -> tuple[list[list[ThreadKpis]], list[list[ThreadKpis]]]:
    """Each period's threads begun in it, and the threads that may be waiting at its end.

    The second list is what `metrics` needs of "every thread begun before the end" (a thread settled
    by then cannot be in the backlog), so a report over many periods asks `status_at` only of the
    threads open around each period's end, not of the whole history at every period."""
    lefts = [left for left, _ in bounds]
    rights = [right for _, right in bounds]
    start, end = bounds[0][0], bounds[-1][1]
    begun: list[list[ThreadKpis]] = [[] for _ in bounds]
    waiting: list[list[ThreadKpis]] = [[] for _ in bounds]
    for thread in members:
        if start <= thread.started_at < end:
            begun[bisect_right(lefts, thread.started_at) - 1].append(thread)
        settled = thread.settled_at()
        first = bisect_right(rights, thread.started_at)  # periods ending after the thread began
        last = len(rights) if settled is None else bisect_left(rights, settled)  # ... and before it settled
        for index in range(first, last):
            waiting[index].append(thread)
    return begun, waiting


def report(
    threads: list[ThreadKpis],
    *,
    start: datetime,
    end: datetime,
    group_by: Sequence[str] = (),
    interval: str | None = None,
    filters: Sequence[tuple[str, str]] = (),
) -> list[dict[str, Any]]:
    """One row per group and period (one period for the whole range without `interval`), over the
    threads that have every (group, value) of `filters`.

    A row exists when threads began in the period or some are waiting at its end."""
    bounds = periods(start, end, interval)
    groups: dict[tuple[str | None, ...], list[ThreadKpis]] = {}
    for thread in sorted(threads, key=_CONVERSATION):
        if any(getattr(thread, _ATTRIBUTE[g]) != value for g, value in filters):
            continue
        key = tuple(getattr(thread, _ATTRIBUTE[g]) for g in group_by)
        groups.setdefault(key, []).append(thread)
    rows = []
    for key in sorted(groups, key=lambda k: tuple(v or "" for v in k)):
        if not bounds:
            break
        begun, waiting = _by_period(groups[key], bounds)
        for (left, right), new, open_ in zip(bounds, begun, waiting, strict=True):
            if new or any(t.status_at(right) not in (None, *RESOLVED) for t in open_):
                rows.append(
                    {
                        "group": dict(zip(group_by, key, strict=True)),
                        "from": left.isoformat(),
                        "to": right.isoformat(),
                        "metrics": metrics(new, open_, right),
                    }
                )
    return rows


CSV_COLUMNS = (
    "from",
    "to",
    *GROUPS,
    "metric",
    "value",
    "count",
    "mean_seconds",
    "median_seconds",
    "business_mean_seconds",
    "business_median_seconds",
    "conversations",
)


def to_csv(rows: list[dict[str, Any]]) -> str:
    """One line per row and metric; `conversations` holds the drill-down ids separated by spaces."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        for name, value in row["metrics"].items():
            line = {"from": row["from"], "to": row["to"], **row["group"], "metric": name}
            line.update({k: v for k, v in value.items() if k in CSV_COLUMNS and k != "conversations"})
            if "age_mean_seconds" in value:
                line.update(
                    mean_seconds=value["age_mean_seconds"],
                    median_seconds=value["age_median_seconds"],
                    business_mean_seconds=value["age_business_mean_seconds"],
                    business_median_seconds=value["age_business_median_seconds"],
                )
            line["conversations"] = " ".join(value.get("conversations", []))
            writer.writerow(line)
    return out.getvalue()
