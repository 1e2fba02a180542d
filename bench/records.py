"""PDF records on the clinic-scale database: a visit record and a 50-visit history.

Prints each figure beside its target (bench/foundation.py builds the database; the
50-visit patient comes from bench/charting.py, made here if missing).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.exports.interchange import import_document
from app.exports.records import history_pdf, visit_record_pdf
from app.services.patients import search_patients
from app.services.visits import list_visits
from bench.charting import BUSY_CHART, busy_patient_document
from bench.common import clinic_database, median_ms, report


def main() -> int:
    db = clinic_database(__doc__)
    if db is None:
        return 2
    if not search_patients(db, BUSY_CHART):
        import_document(db, busy_patient_document(), "bench")
    visits = list_visits(db, BUSY_CHART)
    results = [
        report(
            "visit record PDF (30 points, front map)",
            median_ms(lambda: visit_record_pdf(db, visits[-1].id), 5),
            300,
        ),
        report(
            f"history PDF ({len(visits)} visits x 30 points)",
            median_ms(lambda: history_pdf(db, BUSY_CHART), 3),
            500,
        ),
    ]
    print(f"{sum(results)} of {len(results)} targets met")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
