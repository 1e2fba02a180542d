"""Foundation benchmarks on a clinic-scale database (100,000 patients by default).

Prints each figure beside its target. Run: make bench   (or python bench/foundation.py
--patients N --db PATH [--reuse]). Figures are wall-clock medians on this machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select
from sqlalchemy.engine import URL

from app.demo import generate_demo
from app.exports.interchange import export_patient, import_document
from app.services.patients import search_patients
from app.services.visits import get_visit, list_visits
from app.storage.database import check_integrity, open_database
from bench.common import median_ms, report
from models.tables import InjectionPoint, Patient, Visit

ACTOR = "bench@workstation"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "aliquot-bench-100k.db")
    parser.add_argument("--reuse", action="store_true", help="keep an existing database of that name")
    args = parser.parse_args()

    results = []
    url = URL.create("sqlite", database=str(args.db))
    if not (args.reuse and args.db.exists()):
        for suffix in ("", "-wal", "-shm"):
            Path(str(args.db) + suffix).unlink(missing_ok=True)
        db = open_database(url, ACTOR)
        start = time.perf_counter()
        demo = generate_demo(db, patients=args.patients, seed=1, as_of=date(2026, 11, 1))
        seconds = time.perf_counter() - start
        print(f"generated {demo.patients} patients, {demo.visits} visits, {demo.points} points")
        results.append(report(f"generate the demo clinic ({args.patients} patients)", seconds, 600, "s"))
        db.close()

    start = time.perf_counter()
    db = open_database(url, ACTOR)
    results.append(
        report("open the database (schema check, catalogue)", (time.perf_counter() - start) * 1000, 500, "ms")
    )
    with db.factory() as session:
        counts = [
            session.scalar(select(func.count()).select_from(t)) for t in (Patient, Visit, InjectionPoint)
        ]
    print(
        f"database: {counts[0]} patients, {counts[1]} visits, {counts[2]} points,"
        f" {args.db.stat().st_size / 2**20:.0f} MiB"
    )

    for text in ("garcia", "ana lind", "A-050000", "zo", "李"):
        results.append(
            report(
                f"search patients {text!r}", median_ms(lambda text=text: search_patients(db, text)), 100, "ms"
            )
        )
    with db.factory() as session:
        chart = session.scalar(select(Patient.chart_number).where(Patient.id == counts[0] // 2))
    results.append(
        report("list a patient's visits with totals", median_ms(lambda: list_visits(db, chart)), 50, "ms")
    )
    visit_id = list_visits(db, chart)[-1].id
    results.append(
        report("open one visit with its sites", median_ms(lambda: get_visit(db, visit_id)), 30, "ms")
    )
    document = export_patient(db, chart)
    results.append(report("export one patient", median_ms(lambda: export_patient(db, chart), 5), 150, "ms"))
    results.append(
        report(
            "re-import that patient (all present)",
            median_ms(lambda: import_document(db, document, "bench"), 5),
            300,
            "ms",
        )
    )
    start = time.perf_counter()
    integrity = check_integrity(db)
    results.append(report("db check (full integrity check)", time.perf_counter() - start, 120, "s"))
    assert integrity.ok, integrity.problems
    db.close()
    print(f"{sum(results)} of {len(results)} targets met")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
