"""Run every benchmark, or those named: `python -m bench calendar`; options go to one named benchmark
(`python -m bench chaos --conversations 50`)."""

from __future__ import annotations

import importlib
import signal
import sys
import time

from bench import results
from engine.cli.main import exit_without_teardown

BENCHES = [
    "calendar",
    "pack-load",
    "rules",
    "lifecycle",
    "api-latency",
    "memory",
    "sla-accuracy",
    "hostile-packs",
    "assignment",
    "audit",
    "shadow",
    "events",
    "mail",
    "triage",
]  # `make bench`; chaos, scale and kpis run only when named (minutes, processes)


# What `make bench` passes to a benchmark it runs with other options than its own defaults. The
# assignment floor opens conversations at 3 a second (faster stalls a tenant's desk on 2 cores): its
# 1,000 (issue 16's figure, `python -m bench assignment`) took 6 of `make bench`'s 10.7 minutes, and
# 600 still left the run at 595 s in a slow hour; 450 reach the same steady floor (full once the
# first holds of 10-20 s end) in about 3 minutes.
MAKE_BENCH_OPTIONS = {"assignment": ["--conversations", "450"]}

# Benchmarks whose module is named otherwise than the command
MODULES = {"kpis": "kpi"}


def stop_on_sigterm() -> None:
    """SIGTERM (`kill`, `timeout`) ends a run as Ctrl-C would: by an exception, so each `stack.child`
    block and server context stops what it started. Killed outright, the bench left its spawned
    worker and API running, retrying against the stopped server."""
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(128 + signal.SIGTERM))


def main() -> None:
    stop_on_sigterm()
    args = sys.argv[1:]
    first_option = next((i for i, a in enumerate(args) if a.startswith("-")), len(args))
    names, options = args[:first_option], args[first_option:]
    if options and len(names) != 1:
        sys.exit("options need exactly one benchmark name first: python -m bench chaos --conversations 50")
    rows: list[results.Result] = []
    seconds: dict[str, float] = {}
    started = time.monotonic()
    for name in names or BENCHES:
        print(f"== {name}", flush=True)
        began = time.monotonic()
        module = importlib.import_module(f"bench.{MODULES.get(name, name.replace('-', '_'))}_bench")
        chosen = options or ([] if names else MAKE_BENCH_OPTIONS.get(name, []))
        rows += (module.main(chosen) if chosen else module.main()) or []
        seconds[name] = round(time.monotonic() - began, 1)
        print(f"== {name}: {seconds[name]:.0f} s", flush=True)
    if not names:
        rows.append(results.whole_run(time.monotonic() - started))
    if rows:
        print("\n" + results.table(rows))
        if not names:  # the whole set: the file docs/performance.md quotes
            results.write(rows, seconds)
            print(f"written to {results.RESULTS_FILE}")


if __name__ == "__main__":
    main()
    exit_without_teardown()  # the benchmarks' SDK clients leave native threads behind
