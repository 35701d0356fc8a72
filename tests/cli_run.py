"""Running the `convoflow` command in the test's own process, as its users would from a shell."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

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


def piped_into_head(args: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """`convoflow ARGS | head -1` in a process of its own: the first line read, then stdout closed as
    `head` closes it; what was printed on stderr and the exit code."""
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        first = process.stdout.readline()
        process.stdout.close()
        errors = process.stderr.read()
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    return Run(process.returncode, first, errors)
