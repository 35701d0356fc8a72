"""What `make bench` reports: one row per figure, each a ratio against a baseline measured in the
same run (these machines are noisy; absolute times are printed but never compared across runs).

A benchmark module's `main()` returns its rows; `python -m bench` prints them as one table and writes
`bench/results.json`: a list of `{name, value, unit, baseline, ratio, goal, met}` plus the machine
and the seconds each benchmark took.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

RESULTS_FILE = Path(__file__).resolve().parent / "results.json"
WHOLE_RUN_GOAL = "< 600 s"
"""Issue 15: `make bench` finishes in under 10 minutes."""


@dataclass(frozen=True)
class Result:
    """One figure. `ratio` is value / baseline; `goal` says which way it must go, e.g. "<= 1.5x"."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    goal: str | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        """Whether the goal holds; None without a goal. Goals read `<= 1.5x`, `>= 0.8x`, `< 100 ms`."""
        if self.goal is None:
            return None
        op, number, *_ = self.goal.split()
        figure = self.ratio if number.endswith("x") else self.value
        if figure is None:
            return None
        limit = float(number.rstrip("x"))
        return {"<=": figure <= limit, ">=": figure >= limit, "<": figure < limit, ">": figure > limit}[op]

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "ratio": self.ratio, "met": self.met}


def machine() -> dict[str, object]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_end": load,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _figure(number: float | None, unit: str = "") -> str:
    if number is None:
        return "-"
    text = f"{number:.3g}" if abs(number) < 1000 else f"{number:,.0f}"
    return f"{text} {unit}".strip()


def table(rows: Sequence[Result]) -> str:
    lines = [
        "| figure | convoflow | baseline | ratio | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
        met = {None: "-", True: "yes", False: "NO"}[r.met]
        lines.append(
            f"| {r.name} | {_figure(r.value, r.unit)} | {_figure(r.baseline, r.unit)} | {ratio} "
            f"| {r.goal or '-'} | {met} |"
        )
    return "\n".join(lines)


def whole_run(seconds: float) -> Result:
    """The row for `make bench` itself: every benchmark in one run, against its 10-minute goal."""
    return Result(
        "make bench: every benchmark, one after another", round(seconds, 1), "s", goal=WHOLE_RUN_GOAL
    )


def write(rows: Sequence[Result], seconds: dict[str, float] | None = None, path: Path = RESULTS_FILE) -> None:
    """The file docs/performance.md quotes; `seconds` says which benchmark took the time."""
    document = {"machine": machine(), "seconds": seconds or {}, "results": [r.as_dict() for r in rows]}
    path.write_text(json.dumps(document, indent=2) + "\n")
