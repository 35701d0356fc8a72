"""Threads -> KPI rows by group and interval, each value with the conversations behind it (drill-down).

A thread belongs to the period in which it began (its first customer message); the backlog is read
at each period's end over every thread begun before it. docs/kpis.md defines each metric.
"""

from __future__ import annotations

import csv
import io
import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta, tzinfo
from operator import attrgetter
from typing import Any

from engine.kpis.threads import POSITIVE_RATING, RESOLVED, SLA_TARGETS, Measure, ThreadKpis

GROUPS = ("team", "channel", "agent", "priority")
INTERVALS = {"day": timedelta(days=1), "week": timedelta(days=7)}
_CONVERSATION = attrgetter("conversation_id")
_ATTRIBUTE = {"team": "team", "channel": "channel", "agent": "assignee", "priority": "priority"}


def _ids(ids: list[str], distinct: bool) -> list[str]:
    # Gathered from threads in conversation order, so already sorted; `distinct` says no conversation
    # has two threads among them (the common case: nothing to drop).
    return ids if distinct else list(dict.fromkeys(ids))


def _seconds(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "median": None}
    return {"mean": round(statistics.fmean(values), 3), "median": round(statistics.median(values), 3)}


class _Times:
    """One time metric's durations, gathered in one pass over a period's threads."""

    __slots__ = ("business", "calendar", "ids")

    def __init__(self) -> None:
        self.calendar: list[float] = []
        self.business: list[float] = []  # only the durations that have business time
        self.ids: list[str] = []

    def add(self, conversation: str, measure: Measure) -> None:
        self.calendar.append(measure.calendar)
        if measure.business is not None:
            self.business.append(measure.business)
        self.ids.append(conversation)

    def extend(self, conversation: str, measures: Iterable[Measure]) -> None:
        """Several durations of one thread (its next replies): the thread is listed once."""
        for calendar, business in measures:
            self.calendar.append(calendar)
            if business is not None:
                self.business.append(business)
        self.ids.append(conversation)

    def result(self, distinct: bool) -> dict[str, Any]:
        """Mean and median in calendar and business seconds (business only over threads that have it)."""
        calendar, business = _seconds(self.calendar), _seconds(self.business)
        return {
            "count": len(self.calendar),
            "mean_seconds": calendar["mean"],
            "median_seconds": calendar["median"],
            "business_mean_seconds": business["mean"],
            "business_median_seconds": business["median"],
            "conversations": _ids(self.ids, distinct),
        }


class _Rate:
    """One rate's threads (the denominator), those that count (the numerator) and those that do not:
    a conversation of two threads, one met and one breached, is in both lists, so "conversations not
    matching" hid its breached thread from the misses an ops lead drills into."""

    __slots__ = ("ids", "matching", "missing")

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.matching: list[str] = []
        self.missing: list[str] = []

    def add(self, conversation: str, hit: bool) -> None:
        self.ids.append(conversation)
        (self.matching if hit else self.missing).append(conversation)

    def result(self, distinct: bool) -> dict[str, Any]:
        numerator, denominator = len(self.matching), len(self.ids)
        return {
            "value": round(numerator / denominator, 6) if denominator else None,
            "numerator": numerator,
            "denominator": denominator,
            "conversations": _ids(self.ids, distinct),
            "matching": _ids(self.matching, distinct),
            "missing": _ids(self.missing, distinct),
        }


def _distinct(ids: list[str]) -> bool:
    return len(set(ids)) == len(ids)


def metrics(begun: list[ThreadKpis], known: list[ThreadKpis], at: datetime) -> dict[str, Any]:
    """The KPIs of the threads `begun` in a period, and the backlog at its end among all `known`.

    One pass over the threads gathers every metric (a week of a busy desk is ~20,000 threads, and a
    pass per metric, with a pair per value, cost most of a warm report)."""
    begun = sorted(begun, key=_CONVERSATION)  # `report`'s order already: a linear check
    begun_ids = [t.conversation_id for t in begun]
    distinct = _distinct(begun_ids)
    first, nexts, resolution, wait, hold = _Times(), _Times(), _Times(), _Times(), _Times()
    one_touch, csat, surveyed = _Rate(), _Rate(), _Rate()
    sla = {target: _Rate() for target in SLA_TARGETS}
    messages = reopens = 0
    reopened: list[str] = []
    for t in begun:
        c = t.conversation_id
        messages += t.customer_messages
        if t.first_response:
            first.add(c, t.first_response)
        if t.next_replies:
            nexts.extend(c, t.next_replies)
        if t.resolution:
            resolution.add(c, t.resolution)
        if t.requester_wait:
            wait.add(c, t.requester_wait)
        if t.on_hold:
            hold.add(c, t.on_hold)
        if t.reopens:
            reopens += t.reopens
            reopened.append(c)
        if t.resolved_at:
            one_touch.add(c, t.one_touch)
        if t.rating is not None:
            csat.add(c, t.rating >= POSITIVE_RATING)
        if t.survey_sent:
            surveyed.add(c, t.rating is not None)
        for target, state in t.sla.items():
            if target in sla:
                sla[target].add(c, state == "achieved")
    all_ids = _ids(begun_ids, distinct)
    out: dict[str, Any] = {
        "volume": {"value": len(begun), "conversations": all_ids},
        "customer_messages": {"value": messages, "conversations": all_ids},
        "first_response_time": first.result(distinct),
        "next_reply_time": nexts.result(distinct),
        "full_resolution_time": resolution.result(distinct),
        "requester_wait_time": wait.result(distinct),
        "on_hold_time": hold.result(distinct),
        "reopens": {"value": reopens, "conversations": _ids(reopened, distinct)},
        "one_touch_resolution_rate": one_touch.result(distinct),
        "csat": csat.result(distinct),
        "survey_response_rate": surveyed.result(distinct),
    }
    for target in SLA_TARGETS:
        out[f"sla_{target}"] = sla[target].result(distinct)
    waiting, age = _age(known, at)
    out["backlog"] = {"value": waiting, "at": at.isoformat(), **age}
    return out


def _age(known: list[ThreadKpis], at: datetime) -> tuple[int, dict[str, Any]]:
    """The backlog at `at`: how many threads of `known` wait then, and their age."""
    age = _Times()
    for t in sorted(known, key=_CONVERSATION):
        status = t.status_at(at)
        if status is not None and status not in RESOLVED:
            age.add(t.conversation_id, t.measure(t.started_at, at))
    times = age.result(_distinct(age.ids))
    return times["count"], {
        "age_mean_seconds": times["mean_seconds"],
        "age_median_seconds": times["median_seconds"],
        "age_business_mean_seconds": times["business_mean_seconds"],
        "age_business_median_seconds": times["business_median_seconds"],
        "conversations": times["conversations"],
    }


def periods(
    start: datetime, end: datetime, interval: str | None, zone: tzinfo = UTC
) -> list[tuple[datetime, datetime]]:
    """The report's periods in order: calendar days or ISO weeks (Monday) in `zone`, the first and
    last cut at the range's ends, or the whole range. A range need not begin at midnight (the default
    is the week up to now): rows of 24 hours from its start put a message of 10:00 in "yesterday"'s
    row. A day of a zone's clock change has 23 or 25 hours."""
    if interval is None:
        return [(start, end)]
    out = []
    left = start.astimezone(zone)
    while left < end:
        right = min(period_end(left, interval, zone), end.astimezone(zone))
        out.append((left, right))
        left = right
    return out


def period_end(at: datetime, interval: str, zone: tzinfo = UTC) -> datetime:
    """The first midnight (`day`) or Monday midnight (`week`) of `zone` after `at`."""
    local = at.astimezone(zone)
    days = 1 if interval == "day" else 7 - local.weekday()
    # The wall clock's next midnight, placed in the zone: adding 24 hours would miss it by the hour a
    # clock change takes or gives.
    return datetime.combine(local.date() + timedelta(days=days), time(), zone)


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
    zone: tzinfo = UTC,
) -> list[dict[str, Any]]:
    """One row per group and period (one period for the whole range without `interval`), over the
    threads that have every (group, value) of `filters`.

    Without `interval`, a row exists when threads began in the range or some are waiting at its
    end. With one, a series: a group with such a row has one for every period, an empty period's
    with a volume and a backlog of 0 (a day left out broke a spreadsheet's series and left a chart's
    backlog blank), and without `group_by` every period has its row."""
    bounds = periods(start, end, interval, zone)
    groups: dict[tuple[str | None, ...], list[ThreadKpis]] = {(): []} if interval and not group_by else {}
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
        measured = [
            (left, right, metrics(new, open_, right))
            for (left, right), new, open_ in zip(bounds, begun, waiting, strict=True)
        ]
        active = [m for m in measured if m[2]["volume"]["value"] or m[2]["backlog"]["value"]]
        group = dict(zip(group_by, key, strict=True))
        rows += [
            {"group": dict(group), "from": left.isoformat(), "to": right.isoformat(), "metrics": values}
            for left, right, values in (measured if interval and (active or not group_by) else active)
        ]
    return rows


CSV_COLUMNS = (
    "from",
    "to",
    *GROUPS,
    "metric",
    "value",
    "numerator",
    "denominator",
    "count",
    "mean_seconds",
    "median_seconds",
    "business_mean_seconds",
    "business_median_seconds",
    "conversations",
    "matching",
    "missing",
)


def to_csv(rows: list[dict[str, Any]]) -> str:
    """One line per row and metric; `conversations` holds the drill-down ids separated by spaces, and
    for a rate `matching` the ids it counted as hits (with `numerator` of `denominator`) and `missing`
    those with a thread it did not, so a CSV export is enough to recompute it and to list its misses."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        for name, value in row["metrics"].items():
            line = {"from": row["from"], "to": row["to"], **row["group"], "metric": name}
            ids = ("conversations", "matching", "missing")
            line.update({k: v for k, v in value.items() if k in CSV_COLUMNS and k not in ids})
            if "age_mean_seconds" in value:
                line.update(
                    mean_seconds=value["age_mean_seconds"],
                    median_seconds=value["age_median_seconds"],
                    business_mean_seconds=value["age_business_mean_seconds"],
                    business_median_seconds=value["age_business_median_seconds"],
                )
            line["conversations"] = " ".join(value.get("conversations", []))
            for listed in ("matching", "missing"):
                if listed in value:
                    line[listed] = " ".join(value[listed])
            writer.writerow({k: _inert(v) for k, v in line.items()})
    return out.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (a team named `=HYPERLINK(...)` by a pack),
    quoted with `'` as OWASP advises; numbers stay numbers."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value
