"""`convoflow` command line: `main` parses the arguments and runs one subcommand."""

from engine.cli.main import main

__all__ = ["main"]
