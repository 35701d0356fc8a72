"""`python -m engine.cli`: the same as the `convoflow` script."""

from engine.cli.main import run

run()
