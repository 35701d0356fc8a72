"""`convoflow sla deadline|elapsed` as an ops person runs them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli_run import Run, run_cli

CALENDAR_YAML = """\
# Berlin office: split day on Monday, night shift into Saturday
timezone: Europe/Berlin
hours:
  mon: [["08:00", "12:00"], ["13:00", "17:00"]]
  tue: [["09:00", "17:00"]]
  fri: [["09:00", "17:00"], ["22:00", "06:00"]]
holidays: ["2026-12-24"]
"""


@pytest.fixture
def convoflow(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """`convoflow ...` in this process: its exit code and what it printed."""

    def run(*args: str) -> Run:
        return run_cli(capsys, list(args))

    return run


@pytest.fixture
def calendar_file(tmp_path: Path) -> Path:
    path = tmp_path / "berlin.yaml"
    path.write_text(CALENDAR_YAML)
    return path


def test_deadline_prints_iso_with_offset(calendar_file: Path, convoflow: Callable[..., Run]) -> None:
    run = convoflow(
        "sla",
        "deadline",
        "--calendar",
        str(calendar_file),
        "--start",
        "2026-11-20T17:30:00+01:00",
        "--minutes",
        "600",
    )
    assert run.returncode == 0, run.stderr
    # Fri 22:00-Sat 06:00 gives 8 h, Monday 08:00-10:00 the other 2 h.
    assert run.stdout.strip() == "2026-11-23T10:00:00+01:00"


def test_elapsed_prints_business_seconds(
    calendar_file: Path, tmp_path: Path, convoflow: Callable[..., Run]
) -> None:
    run = convoflow(
        "sla",
        "elapsed",
        "--calendar",
        str(calendar_file),
        "--from",
        "2026-11-23T11:00:00+01:00",
        "--to",
        "2026-11-23T14:00:00.5+01:00",
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "7200.5"
    as_json = tmp_path / "cal.json"
    as_json.write_text(json.dumps({"timezone": "UTC", "hours": {"mon": [["00:00", "24:00"]]}}))
    run = convoflow(
        "sla",
        "elapsed",
        "--calendar",
        str(as_json),
        "--from",
        "2026-11-23T00:00:00Z",
        "--to",
        "2026-11-24T00:00:00Z",
    )
    assert run.stdout.strip() == "86400"
    backwards = convoflow(
        "sla", "elapsed", "--calendar", str(calendar_file),
        "--from", "2026-11-24T00:00:00Z", "--to", "2026-11-23T00:00:00Z",
    )  # fmt: skip
    assert backwards.returncode == 2 and backwards.stdout == ""  # it printed 0
    assert "--to '2026-11-23T00:00:00Z' is before --from '2026-11-24T00:00:00Z'" in backwards.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-11-20T17:30:00", "--minutes", "60"], "needs a UTC offset"),
        (["--start", "yesterday", "--minutes", "60"], "not an ISO 8601"),
        (["--start", "2026-11-20T17:30:00+01:00", "--minutes", "-5"], "from 0 to 5270400 (ten years)"),
        # a traceback (OverflowError: date value out of range)
        (["--start", "2026-11-20T17:30:00+01:00", "--minutes", "1000000000000"], "from 0 to 5270400"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(
    calendar_file: Path, args: list[str], message: str, convoflow: Callable[..., Run]
) -> None:
    run = convoflow("sla", "deadline", "--calendar", str(calendar_file), *args)
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "timezone: Europe/Berlin\nhours:\n  mon: [[8:00, 12:00]]\n",
            "hours.mon[0][0]: malformed time '8:00'",
        ),
        ("timezone: Europe/Berlin\nhours:\n  mon: [[09:00, 12:00]]\n", None),
        ("timezone: Nowhere/City\nhours: {}\n", "timezone: unknown time zone"),
        ("timezone: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_calendar_files_name_the_path(
    tmp_path: Path, content: str, message: str | None, convoflow: Callable[..., Run]
) -> None:
    """None: unquoted times are fine (YAML 1.2 scalars: 12:00 is not the base-60 number 720)."""
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    run = convoflow(
        "sla",
        "elapsed",
        "--calendar",
        str(path),
        "--from",
        "2026-11-23T00:00:00Z",
        "--to",
        "2026-11-24T00:00:00Z",
    )
    if message is None:
        assert run.returncode == 0 and run.stdout.strip() == "10800"
        return
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr


def test_missing_calendar_file(tmp_path: Path, convoflow: Callable[..., Run]) -> None:
    run = convoflow(
        "sla",
        "deadline",
        "--calendar",
        str(tmp_path / "none.yaml"),
        "--start",
        "2026-11-20T17:30:00+01:00",
        "--minutes",
        "1",
    )
    assert run.returncode == 2 and "No such file" in run.stderr


def test_deadline_takes_fractional_minutes_as_a_pack_s_targets(
    calendar_file: Path, convoflow: Callable[..., Run]
) -> None:
    """A policy of `first_response_minutes: 1.5` could not be checked: "invalid int value: '1.5'"."""
    run = convoflow(
        "sla",
        "deadline",
        "--calendar",
        str(calendar_file),
        "--start",
        "2026-11-20T21:59:00+01:00",
        "--minutes",
        "1.5",
    )
    assert run.returncode == 0, run.stderr
    # one minute before the evening shift opens at 22:00, then 1.5 business minutes of it
    assert run.stdout.strip() == "2026-11-20T22:01:30+01:00"
