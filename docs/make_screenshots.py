"""The signing screenshots of the docs, made again from a demo clinic without a screen:

    aliquot --db /tmp/gui-demo.db demo --patients 50
    QT_QPA_PLATFORM=offscreen python docs/make_screenshots.py /tmp/gui-demo.db docs/screenshots

The database is copied first (signing and amending change it). Writes signed-visit.png
(a visit signed by its injector and co-signed by the prescriber, read-only) and
amendment.png (the amendment of that visit, opened for its correction), and photo-strip.png
(a visit's photos in the editor's strip, one beside the face map; the photos are drawn
here, labelled by pose). Name shots to make only those: ... docs/screenshots photo-strip
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


def main(source: Path, out: Path, only: list[str] | None = None) -> None:
    application = QApplication.instance() or QApplication(sys.argv)
    register_bundled_fonts()
    out.mkdir(parents=True, exist_ok=True)
    if not only or "signed-visit" in only or "amendment" in only:
        signing_shots(application, source, out)
    if not only or "photo-strip" in only:
        photo_strip_shot(application, source, out)


def signing_shots(application: QApplication, source: Path, out: Path) -> None:
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


SKIN, HAIR, LIPS, IRIS = "#e2b497", "#4a3023", "#b86a66", "#5b7a8c"


def drawn_photo(pose: str, label: str, shade: int = 0) -> bytes:
    """A portrait drawn for the docs: a face on a studio background, the pose written on it."""
    import io

    from PIL import Image, ImageDraw

    width, height = 900, 1200
    image = Image.new("RGB", (width, height), (196 - shade, 204 - shade, 212 - shade))
    draw = ImageDraw.Draw(image)
    turn = {"rest-oblique-left": -90, "rest-oblique-right": 90}.get(pose, 0)  # the face turned
    cx, cy = width // 2, 560
    draw.rectangle((cx - 260, 930, cx + 260, 1200), fill="#55606e")  # shoulders, a gown
    draw.rectangle((cx - 80, 820, cx + 80, 960), fill=SKIN)  # neck
    draw.ellipse((cx - 240, cy - 380, cx + 240, cy + 120), fill=HAIR)  # hair behind
    draw.ellipse((cx - 210, cy - 300, cx + 210, cy + 300), fill=SKIN, outline="#c99a80", width=3)
    draw.chord((cx - 230, cy - 360, cx + 230, cy - 60), 180, 360, fill=HAIR)  # fringe
    ex, brow_lift = cx + turn, {"brow-raise": 28, "frown": -6}.get(pose, 0)
    for side in (-1, 1):
        x = ex + side * 85 - (side * turn // 4)
        draw.ellipse((x - 42, cy - 60, x + 42, cy - 28), fill="white", outline="#6b4a3a", width=2)
        draw.ellipse((x - 16, cy - 60, x + 16, cy - 28), fill=IRIS)
        draw.ellipse((x - 6, cy - 50, x + 6, cy - 38), fill="#1d1d1d")
        inner = x - side * 40
        tilt = 10 if pose == "frown" else 0
        draw.line((x + side * 50, cy - 95 - brow_lift, inner, cy - 95 - brow_lift + tilt), fill=HAIR, width=9)
    if pose == "frown":  # the glabellar lines the toxin is for
        for dx in (-10, 10):
            draw.line((ex + dx, cy - 90, ex + dx * 1.4, cy - 50), fill="#b88a72", width=3)
    draw.line((ex, cy - 20, ex + 14, cy + 70), fill="#b88a72", width=4)  # nose
    draw.arc((ex - 30, cy + 50, ex + 30, cy + 90), 20, 160, fill="#b88a72", width=3)
    mouth = cy + 160
    if pose == "smile":
        draw.chord((ex - 90, mouth - 50, ex + 90, mouth + 40), 0, 180, fill="white", outline=LIPS, width=8)
    else:
        draw.ellipse((ex - 70, mouth - 18, ex + 70, mouth + 18), fill=LIPS)
        draw.line((ex - 68, mouth, ex + 68, mouth), fill="#8a4a48", width=3)
    draw.rectangle((0, height - 90, width, height), fill=(32, 33, 36))
    draw.text((30, height - 70), label.upper(), fill="white", font_size=44)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def photo_strip_shot(application: QApplication, source: Path, out: Path) -> None:
    """A new visit with four photos, the rest photo beside the face map."""
    from app.services.patients import search_patients
    from app.services.photos import add_photo
    from app.services.visits import list_visits, start_visit
    from ui.photo_strip import pose_label

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "clinic.db"
        shutil.copyfile(source, copy)
        from sqlalchemy.engine import URL

        database = open_database(URL.create("sqlite", database=str(copy)), "screenshots@docs")
        sign_in(database, "marcus", DEMO_PASSWORD)
        patient = next(
            p for p in search_patients(database) if len(list_visits(database, p.chart_number)) >= 2
        )
        earlier = list_visits(database, patient.chart_number)[-1]
        add_photo(database, earlier.id, drawn_photo("frown", "frown, before", 18), "frown")
        opened = start_visit(database, patient.id)
        for pose in ("rest", "frown", "smile", "rest-oblique-left", "rest-oblique-right", "brow-raise"):
            add_photo(database, opened.visit.id, drawn_photo(pose, pose_label(pose)), pose)

        tasks = TaskRunner(application)
        window = MainWindow(database, tasks=tasks)
        while not window.products:
            tasks.wait()
            application.processEvents()
        settle(application, tasks)
        editor = window._open_editor(patient, opened)
        editor.resize(1500, 950)
        settle(application, tasks)
        strip = editor.photos.strip
        strip.setCurrentIndex(strip.photos.index(1))  # the frown, beside the glabella
        editor.face_and_photo.setSizes([600, 520])
        while editor.photos.viewer.current is None:  # the stored image read and decoded
            tasks.wait()
            application.processEvents()
        settle(application, tasks)
        editor.grab().save(str(out / "photo-strip.png"))
        for opened_editor in list(window.editors):
            opened_editor.close()
        window.close()
        tasks.wait()
        database.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:])
