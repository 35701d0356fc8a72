"""Running the `convoflow` command in the test's own process, as its users would from a shell."""

from __future__ import annotations

import asyncio
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


async def cli(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    """`convoflow ARGS` on a thread: the command runs its own event loop, as from a shell."""
    return await asyncio.to_thread(run_cli, capsys, list(args))
