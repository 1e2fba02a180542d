"""The Compare view: switching the pair of photos compared, and the mode, once each photo was
decoded (target 50 ms, painted). Builds its own small clinic in a temporary folder: the demo
with one patient photographed at three visits, 24-megapixel photos with their pupils placed.

    QT_QPA_PLATFORM=offscreen python bench/compare.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy import select
from sqlalchemy.engine import URL

from app.demo import generate_demo
from app.services.photos import add_photo, save_landmarks
from app.services.visits import create_visit
from app.storage.database import open_database
from bench.common import median_ms, report
from bench.photos import face_photo
from models.tables import Patient, Visit

TARGET_MS = 50


def _clinic(folder: Path):
    db = open_database(URL.create("sqlite", database=str(folder / "compare.db")), "bench@workstation")
    generate_demo(db, patients=5, seed=3)
    with db.factory() as session:
        patient = session.scalars(select(Patient).order_by(Patient.id)).first()
        assert patient is not None
        provider_id = session.scalars(select(Visit.provider_id).where(Visit.patient_id == patient.id)).first()
        chart, patient_id = patient.chart_number, patient.id
    now = datetime.now(UTC)
    visits = []
    for n, days in enumerate((90, 60, 30)):
        visit = create_visit(db, patient_id, provider_id, now - timedelta(days=days))
        photo = add_photo(db, visit.id, face_photo(6000, 4000, n), "rest", source_name="IMG_24MP.JPG")
        w, h = photo.width, photo.height
        turn = 0.02 * n  # a head a little more tilted, a little farther, at each visit
        eyes = w * (0.1 - 0.005 * n)
        save_landmarks(
            db,
            photo.id,
            {
                "pupil_r": (w / 2 - eyes, h * 0.42 - turn * eyes),
                "pupil_l": (w / 2 + eyes, h * 0.42 + turn * eyes),
            },
            eyes * 0.37,
        )
        visits.append(visit.id)
    return db, chart, visits


def main() -> int:
    from PySide6.QtWidgets import QApplication

    from ui.photo_compare import CompareView
    from ui.tasks import TaskRunner

    application = QApplication.instance() or QApplication(sys.argv)
    with tempfile.TemporaryDirectory() as folder:
        print("building a clinic with three 24-megapixel photos of one pose…")
        db, chart, visits = _clinic(Path(folder))
        tasks = TaskRunner()
        view = CompareView(db, tasks, chart, "rest")
        view.show()

        def settle() -> None:
            while not tasks.is_idle():
                application.processEvents()
                time.sleep(0.005)  # a script, not a test: waiting on the pool thread
            application.processEvents()

        start = time.perf_counter()
        settle()
        print(
            f"opened: first and latest photos read and decoded in {(time.perf_counter() - start) * 1000:.0f} ms"
        )
        view.choose(earlier=visits[1], later=visits[2])
        settle()
        assert len(view.cache) == 3 and view.aligned
        pairs = [(visits[0], visits[1]), (visits[0], visits[2]), (visits[1], visits[2])]
        turn = iter(range(10**9))

        def switch_pair() -> None:
            earlier, later = pairs[next(turn) % len(pairs)]
            view.choose(earlier=earlier, later=later)
            view.view.viewport().grab()  # painted, as the user sees it

        def switch_mode() -> None:
            view.blend.setChecked(not view.blend.isChecked())
            view.view.viewport().grab()

        ok = [
            report("switch a compare pair (decoded photos, painted)", median_ms(switch_pair, 21), TARGET_MS),
            report("switch side by side / blend (painted)", median_ms(switch_mode, 21), TARGET_MS),
        ]
        tasks.wait()
        db.close()
    print(f"{sum(ok)} of {len(ok)} targets met")
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
