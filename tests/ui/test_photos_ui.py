"""Photos in the visit editor and on the patient page: added from files, a drop and a
watched folder; a refused file said and nothing stored; thumbnails read only for what is in
view; the photo beside the face map turned to the previous visit's of the same pose."""

import io
import os
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.services.catalogue import list_products
from app.services.patients import search_patients
from app.services.photos import add_photo, thumbnails, visit_photos
from app.services.visits import list_visits, open_visit, start_visit
from models.vocabulary import PhotoScope, Pose
from tests.ui.conftest import signed_in_as
from tests.ui.test_visit_editor import open_editor
from tests.ui.timers import ManualTimer
from ui.main_window import MainWindow
from ui.photo_strip import PhotoStrip, StripItem
from ui.visit_editor import VisitEditor
from ui.visit_photos import VisitPhotos
from ui.workstation_settings import PHOTO_FOLDER, WorkstationSettings


def jpeg(colour="#d9a88a", size=(160, 120)) -> bytes:
    image = Image.new("RGB", size, colour)
    ImageDraw.Draw(image).ellipse((40, 10, 120, 110), fill="#e8c0a0", outline="#5a3a2a")
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def write(path: Path, data: bytes, age_seconds: float = 10) -> Path:
    path.write_bytes(data)
    past = time.time() - age_seconds  # a file the camera finished writing a while ago
    os.utime(path, (past, past))
    return path


def drafts(db, patient, *days_ago):
    """Visits of the patient some days ago, still drafts: a signed visit takes no photos."""
    from datetime import UTC, datetime, timedelta

    from app.services.visits import create_visit, get_visit

    provider = get_visit(db, list_visits(db, patient.chart_number)[-1].id).provider_id
    now = datetime.now(UTC).replace(microsecond=0)
    return [create_visit(db, patient.id, provider, now - timedelta(days=days)) for days in days_ago]


def settled(qtbot, editor) -> None:
    qtbot.waitUntil(lambda: not editor.photos._adding and editor.tasks.is_idle())


def drop(widget, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    action = Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(QPoint(10, 10), action, mime, buttons, modifiers)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDropEvent(QPointF(10, 10), action, mime, buttons, modifiers))


@pytest.fixture
def editor(qtbot, demo_db):
    return open_editor(qtbot, demo_db, photo_poll_timer=ManualTimer())


def test_two_files_added_the_good_one_kept_the_hostile_one_refused_by_name(
    qtbot, editor, demo_db, tmp_path, monkeypatch
):
    good = write(tmp_path / "front.jpg", jpeg())
    hostile = write(tmp_path / "evil.jpg", b"\xff\xd8\xff\xe0" + b"<script>alert(1)</script>" * 40)
    monkeypatch.setattr(
        VisitPhotos, "ask_photo_paths", classmethod(lambda cls, parent: [str(good), str(hostile)])
    )
    index = editor.photos.pose.findData(Pose.SMILE.value)
    editor.photos.pose.setCurrentIndex(index)
    assert editor.add_photos_action.isEnabled()
    editor.add_photos_action.trigger()
    settled(qtbot, editor)
    stored = visit_photos(demo_db, editor.visit.id)
    assert [(p.pose, p.scope) for p in stored] == [("smile", PhotoScope.CLINICAL)]
    assert editor.photos.strip.records() == stored
    message = editor.photos.message_text()
    assert "Added 1 photo (Smile, clinical)." in message
    assert "Not added: evil.jpg" in message  # the refusal names the file, in one line
    assert editor.photos.message.isVisible()
    assert not editor.isHidden()  # nothing crashed, no dialog
    editor.close()  # a new visit holding a photo is not an empty draft: it stays, with the photo
    assert visit_photos(demo_db, editor.visit.id) == stored


def test_a_photo_dropped_on_the_strip_is_added(qtbot, editor, demo_db, tmp_path):
    photo = write(tmp_path / "oblique.png", jpeg())
    photo.write_bytes(_png())
    drop(editor.photos.strip.viewport(), [photo])
    settled(qtbot, editor)
    stored = visit_photos(demo_db, editor.visit.id)
    assert [p.pose for p in stored] == ["rest"]  # the chooser's pose when nothing else was chosen
    assert stored[0].media_type == "image/jpeg"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (90, 120), "#c99a7a").save(out, "PNG")
    return out.getvalue()


def test_the_watched_folder_offers_new_files_once(qtbot, editor, demo_db, tmp_path, monkeypatch):
    folder = tmp_path / "camera"
    folder.mkdir()
    write(folder / "already-there.jpg", jpeg())
    monkeypatch.setattr(
        VisitPhotos, "ask_photo_folder", classmethod(lambda cls, parent, current: str(folder))
    )
    editor.watch_photos_action.trigger()
    watch = editor.photos.watch
    qtbot.waitUntil(lambda: not watch._baseline and editor.tasks.is_idle())
    assert WorkstationSettings().get(PHOTO_FOLDER) == str(folder)  # kept for this workstation
    assert editor.photos.banner.isHidden()  # what was there before is not offered

    write(folder / "IMG_0001.JPG", jpeg("#c08a70"))
    write(folder / "notes.txt", b"not a photo")
    (folder / "IMG_0002.jpg").write_bytes(jpeg()[:100])  # still being written: not offered yet
    watch.poll()
    qtbot.waitUntil(lambda: editor.photos.banner.isVisible())
    assert editor.photos.banner_text.text() == f"1 new photo in {folder}: IMG_0001.JPG"
    editor.photos.banner_add.click()
    settled(qtbot, editor)
    assert len(visit_photos(demo_db, editor.visit.id)) == 1
    assert editor.photos.banner.isHidden()

    watch.poll()  # IMG_0001 is not offered again; IMG_0002 unchanged since the last look is now
    qtbot.waitUntil(lambda: editor.photos.banner.isVisible())
    assert editor.photos.banner_text.text() == f"1 new photo in {folder}: IMG_0002.jpg"
    editor.photos.banner_dismiss.click()
    watch.poll()
    qtbot.waitUntil(editor.tasks.is_idle)
    assert editor.photos.banner.isHidden()
    assert len(visit_photos(demo_db, editor.visit.id)) == 1


def test_the_strip_reads_thumbnails_only_for_what_is_in_view(qtbot, demo_db, db_path):
    patient = search_patients(demo_db)[0]
    visit_id = drafts(demo_db, patient, 5)[0].id
    image = jpeg(size=(64, 48))
    records = [add_photo(demo_db, visit_id, image, "rest") for _ in range(200)]
    from ui.tasks import TaskRunner

    asked: list[list[int]] = []

    def fetch(ids):
        asked.append(list(ids))
        return thumbnails(demo_db, ids)

    strip = PhotoStrip(TaskRunner(), fetch)
    qtbot.addWidget(strip)
    strip.resize(700, strip.height())
    strip.show()
    strip.set_items([StripItem(r) for r in records])
    qtbot.waitUntil(lambda: strip.tasks.is_idle() and strip.loaded() == strip.requested)
    in_view = len(strip.visible_rows())
    assert 3 <= in_view <= 8
    assert sum(len(batch) for batch in asked) == in_view  # placeholders for the other 190-odd
    assert strip.loaded() == {records[row].id for row in strip.visible_rows()}
    assert (
        strip.photos.data(strip.photos.index(150), Qt.ItemDataRole.DecorationRole) is strip.photos.placeholder
    )

    strip.horizontalScrollBar().setValue(strip.horizontalScrollBar().maximum())  # to the newest
    qtbot.waitUntil(lambda: strip.tasks.is_idle() and records[-1].id in strip.loaded())
    assert len(strip.requested) <= 2 * in_view + 2
    assert sum(len(batch) for batch in asked) == len(strip.requested)  # none asked for twice


def test_the_patient_page_shows_the_photos_labelled_by_visit(qtbot, demo_db):
    patient = search_patients(demo_db)[0]
    visits = drafts(demo_db, patient, 40, 5)
    add_photo(demo_db, visits[0].id, jpeg(), "rest")
    add_photo(demo_db, visits[-1].id, jpeg(), "frown")
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    strip = window.patient_page.photo_strip
    qtbot.waitUntil(lambda: window.current_patient is not None and strip.photos.rowCount() == 2)
    assert window.current_patient.id == patient.id
    first = visits[0].started_at.astimezone(demo_db.timezone).date().isoformat()
    last = visits[-1].started_at.astimezone(demo_db.timezone).date().isoformat()
    captions = [strip.photos.data(strip.photos.index(r)) for r in range(2)]
    assert captions == [f"{first}\nRest", f"{last}\nFrown"]
    assert window.patient_page.photo_heading.text() == "Photos (2)"
    qtbot.waitUntil(lambda: len(strip.loaded()) == 2)


def test_the_photo_beside_the_face_map_turns_to_the_previous_visit_of_that_pose(qtbot, demo_db):
    patient = search_patients(demo_db)[0]
    earlier = drafts(demo_db, patient, 60, 30)
    add_photo(demo_db, earlier[0].id, jpeg("#aa7755"), "smile")  # an older smile
    before = add_photo(demo_db, earlier[-1].id, jpeg("#bb8866"), "smile")  # the latest earlier smile
    add_photo(demo_db, earlier[-1].id, jpeg(), "rest")  # another pose: never the one compared
    opened = start_visit(demo_db, patient.id)
    today = add_photo(demo_db, opened.visit.id, jpeg(), "smile")
    editor = VisitEditor(
        demo_db,
        patient,
        opened.visit,
        list_products(demo_db.factory),
        opened.providers,
        opened.previous,
        opened.templates,
        created=opened.created,
        photo_poll_timer=ManualTimer(),
    )
    qtbot.addWidget(editor)
    editor.show()
    strip, viewer = editor.photos.strip, editor.photos.viewer
    qtbot.waitUntil(lambda: strip.photos.rowCount() == 1)
    assert viewer.isHidden()
    strip.setCurrentIndex(strip.photos.index(0))
    qtbot.waitUntil(lambda: viewer.current is not None)
    assert viewer.isVisible() and viewer.shown_record() == today
    assert not viewer.image.pixmap().isNull()
    assert "this visit" in viewer.title.text()

    assert editor.previous_photo_action.shortcut().toString() == "P"
    editor.previous_photo_action.trigger()
    qtbot.waitUntil(lambda: viewer.showing_previous)
    assert viewer.shown_record().id == before.id
    when = earlier[-1].started_at.astimezone(demo_db.timezone).date().isoformat()
    assert f"previous visit, {when}" in viewer.title.text()
    editor.previous_photo_action.trigger()  # and back
    assert not viewer.showing_previous and viewer.shown_record() == today


def test_front_desk_cannot_add_photos(qtbot, demo_db, tmp_path):
    patient = search_patients(demo_db)[0]
    opened = open_visit(demo_db, list_visits(demo_db, patient.chart_number)[-1].id)
    signed_in_as(demo_db, "desk")
    editor = VisitEditor(
        demo_db,
        patient,
        opened.visit,
        list_products(demo_db.factory),
        opened.providers,
        opened.previous,
        opened.templates,
        photo_poll_timer=ManualTimer(),
    )
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitUntil(editor.tasks.is_idle)
    assert not editor.add_photos_action.isEnabled()
    assert not editor.watch_photos_action.isEnabled()
    assert not editor.photos.add_button.isEnabled()
    photo = write(tmp_path / "front.jpg", jpeg())
    editor.photos.add_files([photo])  # a drop that got through all the same
    qtbot.waitUntil(editor.tasks.is_idle)
    assert visit_photos(demo_db, editor.visit.id) == []
    assert "cannot add photos" in editor.photos.message_text()


def test_the_chosen_photo_opens_its_landmarks_and_its_pose_compared(qtbot, demo_db):
    patient = search_patients(demo_db)[0]
    earlier = drafts(demo_db, patient, 30)
    add_photo(demo_db, earlier[-1].id, jpeg("#bb8866"), "smile")
    opened = start_visit(demo_db, patient.id)
    today = add_photo(demo_db, opened.visit.id, jpeg(), "smile")
    editor = VisitEditor(
        demo_db,
        patient,
        opened.visit,
        list_products(demo_db.factory),
        opened.providers,
        opened.previous,
        opened.templates,
        created=opened.created,
        photo_poll_timer=ManualTimer(),
    )
    qtbot.addWidget(editor)
    editor.show()
    photos = editor.photos
    qtbot.waitUntil(lambda: photos.strip.photos.rowCount() == 1)
    assert not photos.landmarks_button.isEnabled() and not photos.compare_button.isEnabled()
    photos.strip.setCurrentIndex(photos.strip.photos.index(0))
    qtbot.waitUntil(lambda: photos.compare_button.isEnabled())
    landmarks = photos.open_landmarks()
    compare = photos.open_compare()
    qtbot.addWidget(landmarks)
    qtbot.addWidget(compare)
    assert landmarks.photo_id == today.id
    assert patient.chart_number in compare.windowTitle() or compare.isVisible()


def test_the_patient_page_shows_the_newest_measured_asymmetry(qtbot, demo_db):
    from app.services.photos import save_landmarks
    from models.landmarks import Landmark
    from tests.models.face_landmarks import IRIS_PX, face_points, moved, on_photo

    patient = search_patients(demo_db)[0]
    [visit] = drafts(demo_db, patient, 3)
    photo = add_photo(demo_db, visit.id, jpeg(size=(800, 800)), "rest")
    raised = on_photo(moved(face_points(), Landmark.BROW_PEAK_L, up=8), size=800)
    save_landmarks(demo_db, photo.id, {key.value: point for key, point in raised.items()}, IRIS_PX)
    window = MainWindow(demo_db)
    qtbot.addWidget(window)
    window.show()
    label = window.patient_page.asymmetry
    qtbot.waitUntil(lambda: window.current_patient is not None and label.isVisible())
    assert label.text().startswith("Asymmetry, rest photo of ")
    assert "brow height: left" in label.text() and "left greater by 2.0 mm" in label.text()


def test_a_clinic_s_own_pose_is_typed(qtbot, editor):
    photos = editor.photos
    photos.pose.setCurrentIndex(photos.pose.findData("smile"))
    assert photos.chosen_pose() == "smile"
    photos.pose.setEditText("Lip eversion")
    assert photos.chosen_pose() == "lip-eversion"
