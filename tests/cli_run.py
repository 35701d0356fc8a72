"""Running the `convoflow` command in the test's own process, as its users would from a shell."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from engine.cli import main


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


def run_cli(capsys: pytest.CaptureFixture[str], args: list[str]) -> Run:
    """`convoflow ARGS`: its exit code and what it printed."""
    capsys.readouterr()
    code = main(args)
    out, err = capsys.readouterr()
    return Run(code, out, err)
