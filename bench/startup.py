"""A program that starts at once: `aliquot --version`, `--help` and a patient search on the
100,000-patient clinic (whole process, wall time), and keystroke search that grows with the
matches, not the clinic (1,000 patients against 100,000).

The 100,000-patient clinic (bench/foundation.py) is copied, never changed: the copy is
upgraded to this version's schema (the search index) once, before anything is timed.
Prints each figure beside its target.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import clinic_database_path, report  # noqa: E402

TYPED = "garcia ana"  # typed a key at a time, as in the patient list's search box


def process_ms(arguments: list[str], repeat: int = 7) -> float:
    """Median wall time of `python -m app ARGUMENTS` (a fresh process each time), milliseconds."""
    command = [sys.executable, "-m", "app", *arguments]
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)  # warm the disk cache
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def keystroke_ms(path: Path, rounds: int = 7) -> float:
    """Median time of one keystroke's search while TYPED is typed, milliseconds."""
    from sqlalchemy.engine import URL

    from app.services.patients import search_patients
    from app.storage.database import open_database

    db = open_database(URL.create("sqlite", database=str(path)), "bench")
    try:
        keystrokes = [TYPED[:n] for n in range(1, len(TYPED) + 1)]
        for typed in keystrokes:  # warm
            search_patients(db, typed)
        samples = []
        for _ in range(rounds):
            for typed in keystrokes:
                start = time.perf_counter()
                search_patients(db, typed)
                samples.append((time.perf_counter() - start) * 1000)
        return statistics.median(samples)
    finally:
        db.close()


def main() -> int:
    db_path = clinic_database_path(__doc__)
    if db_path is None:
        return 2
    results = [
        report("aliquot --version (whole process)", process_ms(["--version"]), 150),
        report("aliquot --help (whole process)", process_ms(["--help"]), 150),
    ]
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "clinic-100k.db"
        shutil.copyfile(db_path, big)
        small = Path(folder) / "clinic-1k.db"
        for arguments in (
            ["--db", str(big), "db", "upgrade"],
            ["--db", str(small), "demo", "--patients", "1000"],
        ):
            subprocess.run(
                [sys.executable, "-m", "app", *arguments], cwd=ROOT, capture_output=True, check=True
            )
        results.append(
            report(
                "patients --search garcia, 100,000 patients (whole process)",
                process_ms(["--db", str(big), "patients", "--search", "garcia"]),
                400,
            )
        )
        small_ms, big_ms = keystroke_ms(small), keystroke_ms(big)
        print(f"{'search as you type, median keystroke, 1,000 patients':<58} {small_ms:>10.2f} ms")
        print(f"{'search as you type, median keystroke, 100,000 patients':<58} {big_ms:>10.2f} ms")
        print(f"{'(load average while measuring)':<58} {os.getloadavg()[0]:>10.2f}")
        results.append(report("keystroke search: 100,000 patients / 1,000", big_ms / small_ms, 2, "x"))
    print(f"{sum(results)} of {len(results)} targets met")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
