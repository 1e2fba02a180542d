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


def clinic_database(description: str):
    """The 100,000-patient clinic built by bench/foundation.py (or --db), opened; None,
    with a message, when it has not been built yet."""
    import argparse
    import tempfile
    from pathlib import Path

    from sqlalchemy.engine import URL

    from app.database import open_database

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "aliquot-bench-100k.db")
    args = parser.parse_args()
    if not args.db.exists():
        print(f"{args.db} is missing: run bench/foundation.py first")
        return None
    return open_database(URL.create("sqlite", database=str(args.db)), "bench")
