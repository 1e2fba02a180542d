"""Charting benchmarks (the visit editor and patient search) on a 100,000-patient clinic.

Prints each figure beside its target. Run: make bench  (after bench/foundation.py has
built the clinic database, or with --db pointing at one). Wall-clock medians, offscreen Qt.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402
from sqlalchemy.engine import URL  # noqa: E402

from app.exports.interchange import import_document  # noqa: E402
from app.services.catalogue import list_products  # noqa: E402
from app.services.patients import search_patients  # noqa: E402
from app.services.visits import list_visits, open_visit  # noqa: E402
from app.storage.database import open_database  # noqa: E402
from bench.common import clinic_database_path, report, start_to_paint_ms  # noqa: E402
from models.regions import REGIONS, front_anchor  # noqa: E402
from models.vocabulary import View  # noqa: E402
from ui.commands import AddPoints  # noqa: E402
from ui.visit_editor import VisitEditor  # noqa: E402

ACTOR = "bench@workstation"
BUSY_CHART = "BENCH-50x30"


def busy_patient_document(visits: int = 50, points: int = 30) -> dict:
    """A patient seen 50 times, 30 sites each (toxin upper face + filler), over 12 years."""
    codes = [c for c in REGIONS if not c.startswith(("platysma", "neck", "submental"))][:points]
    start = date(2014, 1, 6)
    document = {
        "format": "aliquot.patient/1",
        "patient": {
            "chart_number": BUSY_CHART,
            "given_name": "Busy",
            "family_name": "Benchmark",
            "date_of_birth": "1975-05-05",
            "sex": "female",
        },
        "visits": [],
    }
    for n in range(visits):
        day = start + timedelta(days=90 * n)
        document["visits"].append(
            {
                "external_id": f"bench-{n}",
                "started_at": f"{day.isoformat()}T10:00:00+00:00",
                "provider": {"name": "Dana Reyes", "credentials": "RN"},
                "status": "signed",
                "points": [
                    {
                        "view": "front",
                        "x": front_anchor(code)[0],
                        "y": front_anchor(code)[1],
                        "region": code,
                        "product": "Botox Cosmetic",
                        "amount": "2",
                        "unit": "U",
                        "aliquots": 1,
                        "lot": {"number": f"BENCH{n}", "expiry": (day + timedelta(days=400)).isoformat()},
                    }
                    for code in codes
                ],
            }
        )
    return document


def cold_start_ms(db_path: Path) -> float:
    """Process start to a painted main window listing patients, in a fresh interpreter:
    the time until the child reports the window painted."""
    probe = (
        "import os, sys, itertools\n"
        "os.environ.setdefault('QT_QPA_PLATFORM', 'offscreen')\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication([])\n"
        "from sqlalchemy.engine import URL\n"
        "from app.storage.database import open_database\n"
        "from ui.main_window import MainWindow\n"
        f"db = open_database(URL.create('sqlite', database={str(db_path)!r}), 'bench')\n"
        "w = MainWindow(db); w.show()\n"
        "for _ in itertools.count():\n"
        "    app.processEvents()\n"
        "    if w.patient_model.rowCount() and w.tasks.is_idle(): break\n"
        "w.grab(); print('painted', flush=True); os._exit(0)\n"
    )
    return start_to_paint_ms([sys.executable, "-c", probe], cwd=ROOT)


def main() -> int:
    db_path = clinic_database_path(__doc__)
    if db_path is None:
        return 2
    application = QApplication.instance() or QApplication([])
    db = open_database(URL.create("sqlite", database=str(db_path)), ACTOR)
    if not search_patients(db, BUSY_CHART):
        import_document(db, busy_patient_document(), "bench")
    results = []

    words = "garcia ana"
    keystrokes = [words[:n] for n in range(1, len(words) + 1)]
    samples = []
    for _ in range(5):
        for typed in keystrokes:
            start = time.perf_counter()
            search_patients(db, typed)
            samples.append((time.perf_counter() - start) * 1000)
    results.append(report("search as you type (median keystroke)", statistics.median(samples), 20))
    results.append(
        report("search as you type (95th percentile keystroke)", statistics.quantiles(samples, n=20)[18], 20)
    )

    patient = search_patients(db, BUSY_CHART)[0]
    products = list_products(db.factory)
    newest = list_visits(db, BUSY_CHART)[-1]

    def open_chart():
        opened = open_visit(db, newest.id)
        editor = VisitEditor(
            db, patient, opened.visit, products, opened.providers, opened.previous, opened.templates
        )
        editor.show()
        application.processEvents()
        editor.face_view.viewport().repaint()
        return editor

    timings = []
    for _ in range(7):
        start = time.perf_counter()
        editor = open_chart()
        timings.append((time.perf_counter() - start) * 1000)
        editor.undo_stack.clear()
        editor.close()
        editor.deleteLater()
        application.processEvents()
    results.append(
        report("open a 50-visit x 30-point patient and show the chart", statistics.median(timings), 100)
    )

    editor = open_chart()
    pen = editor.pen
    editor.undo_stack.push(
        AddPoints(
            editor.document,
            [
                pen.point_at(View.FRONT, 0.3 + (i % 20) * 0.02, 0.3 + (i // 20) * 0.03, "cheek_r")
                for i in range(200)
            ],
            "bench",
        )
    )
    application.processEvents()
    timings = []
    for i in range(30):
        start = time.perf_counter()
        editor.place_point(0.6 + (i % 10) * 0.01, 0.5, "cheek_l")
        editor.face_view.viewport().repaint()
        timings.append((time.perf_counter() - start) * 1000)
    results.append(report("add a point to a 200-point chart until repainted", statistics.median(timings), 16))
    editor.undo_stack.clear()
    editor.close()
    db.close()

    results.append(report("cold start to a painted main window", cold_start_ms(db_path), 600))
    print(f"{sum(results)} of {len(results)} targets met")
    return 0 if all(results) else 1


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    os._exit(code)  # skip interpreter teardown of the Qt objects made for measuring
