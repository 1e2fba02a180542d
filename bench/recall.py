"""The due list over a clinic-scale database (bench/foundation.py builds it).

Prints the figure beside its target.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from app.services.catalogue import list_products
from app.services.recall import (
    due_list,
    due_page,
    ensure_recall_summary,
    load_recall_settings,
    save_recall_changes,
)
from bench.common import clinic_database, report
from models.tables import InjectionPoint, Patient


def main() -> int:
    db = clinic_database(__doc__)
    if db is None:
        return 2
    with db.factory() as session:
        patients = session.scalar(select(func.count()).select_from(Patient))
        points = session.scalar(select(func.count()).select_from(InjectionPoint))
    print(f"database: {patients} patients, {points} points")
    start = time.perf_counter()
    ensure_recall_summary(db.factory)  # once, for a database upgraded from before the summary
    print(f"recall summary ready in {time.perf_counter() - start:.1f} s (built once per database)")
    today = datetime.now(db.timezone).date()
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        page = due_page(db, today)  # the counts of the whole list and its most urgent 500 rows
        timings.append((time.perf_counter() - start) * 1000)
    ok = report("due list today: counts and first page", statistics.median(timings), 250)
    counts = ", ".join(f"{status.value} {n}" for status, n in page.counts.items())
    print(f"  {page.total} rows in all ({counts})")
    start = time.perf_counter()
    everything = due_list(db, today)
    print(
        f"{'(for comparison) every row, as aliquot due prints them':<58}"
        f" {(time.perf_counter() - start) * 1000:>9.1f} ms  ({len(everything)} rows; no target)"
    )
    start = time.perf_counter()
    past = due_list(db, today - timedelta(days=30))
    print(
        f"{'(for comparison) a past day, recomputed from the charts':<58}"
        f" {(time.perf_counter() - start) * 1000:>9.1f} ms  ({len(past)} rows; no target)"
    )
    # The recall settings dialog: one product's interval moved and put back (each a save
    # that refreshes the summary of every patient given the product), off the GUI thread.
    botox = next(p for p in list_products(db.factory) if p.name == "Botox Cosmetic")
    settings = load_recall_settings(db)
    start = time.perf_counter()
    save_recall_changes(db, {botox.name: (botox.interval_min_days + 1, botox.interval_max_days)}, settings)
    changed = (time.perf_counter() - start) * 1000
    save_recall_changes(db, {botox.name: (botox.interval_min_days, botox.interval_max_days)}, settings)
    print(
        f"{'(for comparison) change the Botox Cosmetic interval':<58} {changed:>9.1f} ms"
        "  (off the GUI thread; no target)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
