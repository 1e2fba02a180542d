"""The due list over a clinic-scale database (bench/foundation.py builds it).

Prints the figure beside its target. Run it on a copy of the database: it changes a
product's interval (and puts it back).
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
    load_recall_settings,
    save_recall_changes,
)
from app.services.summary import ensure_recall_summary
from bench.common import clinic_database, report
from models.tables import InjectionPoint, Patient


def _since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


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
    ok &= report(f"every due row, as aliquot due prints them ({len(everything)})", _since(start), 1000)
    start = time.perf_counter()
    past = due_list(db, today - timedelta(days=30))
    ok &= report(f"a past day (30 days ago), recomputed ({len(past)} rows)", _since(start), 2000)
    start = time.perf_counter()
    earlier = due_list(db, today - timedelta(days=120))
    print(
        f"{'(for comparison) 120 days ago: many patients seen since, recomputed':<58}"
        f" {_since(start):>10.1f} ms  ({len(earlier)} rows; no target)"
    )
    # The recall settings dialog: one product's interval moved and put back (each a save
    # that moves that product's recall rows), off the GUI thread.
    botox = next(p for p in list_products(db.factory) if p.name == "Botox Cosmetic")
    assert botox.interval_min_days is not None and botox.interval_max_days is not None
    settings = load_recall_settings(db)
    start = time.perf_counter()
    save_recall_changes(db, {botox.name: (botox.interval_min_days + 1, botox.interval_max_days)}, settings)
    ok &= report("change the Botox Cosmetic interval", _since(start), 1000)
    save_recall_changes(db, {botox.name: (botox.interval_min_days, botox.interval_max_days)}, settings)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
