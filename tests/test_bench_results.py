"""The bench table's goal check: a figure reported as met must meet its goal."""

from __future__ import annotations

import json

from bench.results import Result, table, whole_run, write


def test_ratio_goals_compare_the_ratio_and_absolute_goals_the_value(tmp_path) -> None:
    assert Result("throughput", 8.0, "/s", baseline=10.0, goal=">= 0.8x").met is True
    assert Result("throughput", 7.9, "/s", baseline=10.0, goal=">= 0.8x").met is False
    assert Result("p99", 16.0, "ms", baseline=10.0, goal="<= 1.5x").met is False
    assert Result("load", 99.0, "ms", goal="< 100 ms").met is True
    assert Result("load", 100.0, "ms", goal="< 100 ms").met is False
    assert Result("no goal", 1.0, "ms").met is None
    rows = [Result("p99", 16.0, "ms", baseline=10.0, goal="<= 1.5x")]
    assert "| p99 | 16 ms | 10 ms | 1.60x | <= 1.5x | NO |" in table(rows)
    write(rows, {"rules": 31.5}, tmp_path / "r.json")
    written = json.loads((tmp_path / "r.json").read_text())
    assert written["results"][0] == {
        "name": "p99",
        "value": 16.0,
        "unit": "ms",
        "baseline": 10.0,
        "goal": "<= 1.5x",
        "ratio": 1.6,
        "met": False,
    }
    assert written["machine"]["cpus"]
    assert written["seconds"] == {"rules": 31.5}


def test_the_whole_run_meets_its_goal_only_under_ten_minutes() -> None:
    assert whole_run(599.94).met is True
    assert whole_run(658.0).met is False
    assert "| 658 s | - | - | < 600 s | NO |" in table([whole_run(658.0)])
