"""What every benchmark script shares: timing a piece of work and printing a figure beside
its target."""

from __future__ import annotations

import statistics
import time


def median_ms(work, repeat: int = 15) -> float:
    """Median wall time of `work()` in milliseconds, after one warm-up run (caches warm, as
    in a working session)."""
    work()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def report(label: str, value: float, target: float, unit: str = "ms") -> bool:
    ok = value <= target
    print(f"{label:<58} {value:>10.1f} {unit:<3} target <= {target:g} {unit}  {'ok' if ok else 'MISSED'}")
    return ok
