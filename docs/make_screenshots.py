"""The signing screenshots of the docs, made again from a demo clinic without a screen:

    aliquot --db /tmp/gui-demo.db demo --patients 50
    QT_QPA_PLATFORM=offscreen python docs/make_screenshots.py /tmp/gui-demo.db docs/screenshots

The database is copied first (signing and amending change it). Writes signed-visit.png
(a visit signed by its injector and co-signed by the prescriber, read-only) and
amendment.png (the amendment of that visit, opened for its correction).
docs/screenshots/sign-in.png is a shot of the real window at start (see the docs)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from app.demo import DEMO_PASSWORD
from app.services.patients import get_patient
from app.services.signing import awaiting_cosign, cosign_visit
from app.services.users import sign_in
from app.services.visits import open_visit
from app.storage.database import open_database
from ui.fonts import register_bundled_fonts
from ui.main_window import MainWindow
from ui.tasks import TaskRunner
from ui.visit_signing import open_amendment

REASON = "lot of the cheek filler mistyped: corrected from the syringe label"


def settle(application: QApplication, tasks: TaskRunner) -> None:
    """Let every task deliver and every window draw."""
    for _ in range(200):
        application.processEvents()
        if tasks.is_idle():
            tasks.wait()
            application.processEvents()
            if tasks.is_idle():
                break
    for _ in range(20):
        application.processEvents()


def main(source: Path, out: Path) -> None:
    application = QApplication.instance() or QApplication(sys.argv)
    register_bundled_fonts()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "clinic.db"
        shutil.copyfile(source, copy)
        from sqlalchemy.engine import URL

        database = open_database(URL.create("sqlite", database=str(copy)), "screenshots@docs")
        sign_in(database, "marcus", DEMO_PASSWORD)
        waiting = awaiting_cosign(database)[-1]  # the newest injector's visit not co-signed yet
        cosign_visit(database, waiting.visit_id)
        patient = get_patient(database, waiting.chart_number)

        tasks = TaskRunner(application)
        window = MainWindow(database, tasks=tasks)
        window.resize(1500, 950)
        while not window.products:  # the catalogue the editor colours its points with
            tasks.wait()
            application.processEvents()
        settle(application, tasks)
        signed = window._open_editor(patient, open_visit(database, waiting.visit_id))
        signed.resize(1500, 950)
        settle(application, tasks)
        signed.grab().save(str(out / "signed-visit.png"))

        # An injector corrects their own visit: they sign in, Amend… gives the reason.
        injector = next(
            u for u in ("dana", "priya", "sofia", "kenji") if _named(database, u, waiting.injector)
        )
        sign_in(database, injector, DEMO_PASSWORD)
        amendment = window._open_editor(patient, open_amendment(database, waiting.visit_id, REASON))
        amendment.resize(1500, 950)
        settle(application, tasks)
        amendment.grab().save(str(out / "amendment.png"))
        for editor in list(window.editors):
            editor.close()
        window.close()
        tasks.wait()
        database.close()


def _named(database, username: str, injector: str) -> bool:
    from app.services.users import list_users

    return any(u.username == username and u.provider_name == injector for u in list_users(database))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
