"""`convoflow` command line: `main` parses the arguments and runs one subcommand."""

from engine.cli.main import main, run

__all__ = ["main", "run"]
