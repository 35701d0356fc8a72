"""Timing helper shared by the benchmarks: best of several rounds, per call."""

from __future__ import annotations

import time
from collections.abc import Callable


def per_call_seconds(fn: Callable[[], object], *, calls: int, rounds: int = 5) -> float:
    """Best round's mean seconds per call: the least disturbed by a noisy machine."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - started) / calls)
    return best
