"""What every benchmark script shares: timing a piece of work and printing a figure beside
its target."""

from __future__ import annotations

import os
import statistics
import subprocess
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


def start_to_paint_ms(command: list[str], repeat: int = 3, timeout_s: float = 120, **popen) -> float:
    """Median time from starting `command` (a fresh process each time, offscreen) until it
    prints "painted", in milliseconds. A program that never paints is stopped after
    `timeout_s` and reported with what it wrote to stderr."""
    import tempfile
    import threading

    samples = []
    for _ in range(repeat):
        with tempfile.TemporaryFile("w+") as errors:  # a file: a chatty child never blocks on a pipe
            start = time.perf_counter()
            child = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "ALIQUOT_QUIT_WHEN_PAINTED": "1"},
                **popen,
            )
            watchdog = threading.Timer(timeout_s, child.kill)
            watchdog.start()
            line = child.stdout.readline().strip()
            samples.append((time.perf_counter() - start) * 1000)
            child.communicate()
            watchdog.cancel()
            if line != "painted":
                errors.seek(0)
                raise SystemExit(
                    f"{command[0]} did not report a painted window (exit code"
                    f" {child.returncode}):\n{errors.read()}"
                )
    return statistics.median(samples)


def report(label: str, value: float, target: float, unit: str = "ms") -> bool:
    ok = value <= target
    print(f"{label:<58} {value:>10.1f} {unit:<3} target <= {target:g} {unit}  {'ok' if ok else 'MISSED'}")
    return ok


def clinic_database_path(description: str):
    """The file of the 100,000-patient clinic built by bench/foundation.py (or --db); None,
    with a message, when it has not been built yet."""
    import argparse
    import tempfile
    from pathlib import Path

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "aliquot-bench-100k.db")
    path = parser.parse_args().db
    if not path.exists():
        print(f"{path} is missing: run bench/foundation.py first (it builds the 100,000-patient clinic)")
        return None
    return path


def clinic_database(description: str):
    """That clinic, opened (None when it has not been built yet)."""
    from sqlalchemy.engine import URL

    from app.storage.database import open_database

    path = clinic_database_path(description)
    return None if path is None else open_database(URL.create("sqlite", database=str(path)), "bench")
