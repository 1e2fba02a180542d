"""The due list over a clinic-scale database (bench/foundation.py builds it).

Prints the figure beside its target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import URL  # noqa: E402

from app.database import open_database  # noqa: E402
from app.recall import due_list, treated_facts  # noqa: E402
from models.recall import due_items  # noqa: E402
from models.tables import InjectionPoint, Patient  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "aliquot-bench-100k.db")
    args = parser.parse_args()
    if not args.db.exists():
        print(f"{args.db} is missing: run bench/foundation.py first")
        return 2
    db = open_database(URL.create("sqlite", database=str(args.db)), "bench")
    with db.factory() as session:
        patients = session.scalar(select(func.count()).select_from(Patient))
        points = session.scalar(select(func.count()).select_from(InjectionPoint))
    print(f"database: {patients} patients, {points} points")
    today = date(2026, 11, 1)
    timings, query, rules = [], [], []
    for _ in range(3):
        start = time.perf_counter()
        facts = treated_facts(db)
        middle = time.perf_counter()
        due_items(facts, today)
        query.append((middle - start) * 1000)
        rules.append((time.perf_counter() - middle) * 1000)
        start = time.perf_counter()
        rows = due_list(db, today)
        timings.append((time.perf_counter() - start) * 1000)
    figure = statistics.median(timings)
    print(f"  of which: grouping query {statistics.median(query):.0f} ms, rules {statistics.median(rules):.0f} ms")
    ok = figure <= 250
    print(f"{'due list (' + str(len(rows)) + ' rows)':<58} {figure:>9.1f} ms  target <= 250 ms  {'ok' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
