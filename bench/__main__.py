"""Run every benchmark, or those named: `python -m bench calendar`; options go to one named benchmark
(`python -m bench chaos --conversations 50`)."""

from __future__ import annotations

import importlib
import sys

BENCHES = [
    "calendar",
    "rules",
    "lifecycle",
    "hostile-packs",
]  # `make bench`; chaos runs only when named (minutes, processes)


def main() -> None:
    args = sys.argv[1:]
    first_option = next((i for i, a in enumerate(args) if a.startswith("-")), len(args))
    names, options = args[:first_option], args[first_option:]
    if options and len(names) != 1:
        sys.exit("options need exactly one benchmark name first: python -m bench chaos --conversations 50")
    for name in names or BENCHES:
        print(f"== {name}")
        module = importlib.import_module(f"bench.{name.replace('-', '_')}_bench")
        if options:
            module.main(options)
        else:
            module.main()


if __name__ == "__main__":
    main()
