"""Run every benchmark, or those named: `python -m bench calendar`."""

from __future__ import annotations

import importlib
import sys

BENCHES = ["calendar", "rules", "lifecycle"]


def main() -> None:
    for name in sys.argv[1:] or BENCHES:
        print(f"== {name}")
        importlib.import_module(f"bench.{name}_bench").main()


if __name__ == "__main__":
    main()
