"""Figures the benchmarks share: percentiles of samples, CPU per unit of work of a process phase, and
the instants of paced arrivals.

Pure functions, so tests/test_bench_stats.py checks them without a server.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

ARRIVALS_SEED = 15


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0 < q <= 100) by the nearest-rank method: a value that was measured.

    Nearest rank rather than interpolation: with 200 samples p99 is the 198th smallest, a real
    request's latency, never a blend of two.
    """
    if not samples:
        raise ValueError("no samples")
    if not 0 < q <= 100:
        raise ValueError(f"percentile {q} outside (0, 100]")
    ordered = sorted(samples)
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)]


@dataclass(frozen=True)
class CpuSample:
    """Process CPU seconds (user + system, children included) at one instant, per process role."""

    seconds: dict[str, float]

    def minus(self, earlier: CpuSample) -> dict[str, float]:
        """CPU seconds each role spent between `earlier` and this sample."""
        return {role: self.seconds[role] - earlier.seconds.get(role, 0.0) for role in self.seconds}


def per_unit_ms(spent: dict[str, float], units: int) -> dict[str, float]:
    """CPU milliseconds per unit of work (a conversation) for each role of one phase."""
    if units <= 0:
        raise ValueError("a phase needs at least one unit of work")
    return {role: seconds * 1000 / units for role, seconds in spent.items()}


def scaled(growth_bytes: float, count: int, per: int = 1000) -> float:
    """Memory growth for `count` items scaled to `per` items, in MB (10**6 bytes)."""
    if count <= 0:
        raise ValueError("count must be positive")
    return growth_bytes / count * per / 1e6


def arrival_times(count: int, per_second: float, seed: int = ARRIVALS_SEED) -> list[float]:
    """Seconds from the start at which each of `count` conversations opens: a Poisson process of mean
    rate `per_second` (exponential gaps), the same for a given seed.

    Not a steady pace: with openings every 1/rate s and an SLA a whole number of those, every deadline
    fell exactly when a later conversation was being opened, and the figure measured that collision
    each time instead of the timers (docs/performance.md "Session 15").
    """
    if per_second <= 0:
        raise ValueError("the arrival rate must be positive")
    rng = random.Random(seed)
    times, at = [], 0.0
    for _ in range(count):
        times.append(at)
        at += rng.expovariate(per_second)
    return times
