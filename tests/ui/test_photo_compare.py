"""Landmarks placed by hand on a photo and saved, refusals that store nothing, and the Compare
view: the later photo aligned on the earlier one's eyes (checked on the transform and on the
drawn pixels), the blend slider, and the pair switched from decoded photos kept in memory."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QPoint, QPointF, Qt
from sqlalchemy import select

from app.services.photos import add_photo, load_landmarks, save_landmarks
from app.services.visits import create_visit
from models.landmarks import Landmark, Landmarks
from models.tables import Patient, Visit
from tests.conftest import snapshot
from tests.models.face_landmarks import IRIS_PX, face_points, on_photo
from ui.landmark_editor import open_landmark_editor
from ui.photo_compare import NOT_ALIGNED, ONE_VISIT, open_compare
from ui.tasks import TaskRunner

L = Landmark
SIZE = 800
BACKGROUND = (128, 128, 128)
GREEN, RED, BLUE = (0, 170, 0), (230, 0, 0), (0, 0, 230)
EARLIER = on_photo(face_points(), size=SIZE)
# The later photo: the head turned, the camera farther, the face off centre.
LATER_TURN, LATER_SCALE, LATER_SHIFT = 0.25, 0.8, (60.0, -40.0)
LATER = on_photo(face_points(), size=SIZE, angle=LATER_TURN, scale=LATER_SCALE, shift=LATER_SHIFT)


def dotted_photo(landmarks: Landmarks, left: tuple[int, int, int], right: tuple[int, int, int]) -> bytes:
    """A photo whose drawn pupils are where its landmarks say: a dot of colour at each."""
    image = Image.new("RGB", (SIZE, SIZE), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for key, colour in ((L.PUPIL_L, left), (L.PUPIL_R, right)):
        x, y = landmarks[key]
        draw.ellipse((x - 12, y - 12, x + 12, y + 12), fill=colour)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def place(db, photo_id: int, landmarks: Landmarks, iris: float) -> None:
    save_landmarks(db, photo_id, {key.value: point for key, point in landmarks.items()}, iris)


@pytest.fixture
def patient_visits(demo_db):
    """A demo patient with three new visits (30, 20 and 10 days ago), as drafts."""
    with demo_db.factory() as session:
        patient = session.scalars(select(Patient).order_by(Patient.id)).first()
        provider_id = session.scalars(select(Visit.provider_id).where(Visit.patient_id == patient.id)).first()
        chart, patient_id = patient.chart_number, patient.id
    now = datetime.now(UTC).replace(microsecond=0)
    visits = [
        create_visit(demo_db, patient_id, provider_id, now - timedelta(days=days)).id for days in (30, 20, 10)
    ]
    return chart, visits


@pytest.fixture
def tasks(qtbot):
    runner = TaskRunner()
    yield runner
    runner.wait()


def close_to(a, b, within=1.0) -> bool:
    return abs(a[0] - b[0]) <= within and abs(a[1] - b[1]) <= within


def near_colour(pixel, colour, within=40) -> bool:
    return all(abs(p - c) <= within for p, c in zip(pixel, colour, strict=True))


# --- the landmark editor ----------------------------------------------------------------


def open_editor(qtbot, db, tasks, photo_id):
    editor = open_landmark_editor(None, db, tasks, photo_id)
    qtbot.addWidget(editor)
    qtbot.waitUntil(lambda: editor.record is not None and tasks.is_idle())
    return editor


def view_point(editor, x, y) -> QPoint:
    return editor.view.mapFromScene(QPointF(x, y))


def click(qtbot, editor, x, y) -> None:
    qtbot.mouseClick(editor.view.viewport(), Qt.MouseButton.LeftButton, pos=view_point(editor, x, y))


def test_landmarks_placed_by_clicks_and_dragged_are_saved_with_the_iris_and_measured(
    qtbot, demo_db, patient_visits, tasks
):
    _chart, visits = patient_visits
    photo = add_photo(demo_db, visits[0], dotted_photo(EARLIER, GREEN, GREEN), "rest")
    editor = open_editor(qtbot, demo_db, tasks, photo.id)
    assert editor.document.points == {} and "not measured" in editor.measures.text()
    # Choosing a landmark, then clicking the photo places it; the next one is then chosen.
    editor.choose(L.PUPIL_L.value)
    click(qtbot, editor, *EARLIER[L.PUPIL_L])
    assert editor.chosen_key() == L.PUPIL_R.value
    click(qtbot, editor, *EARLIER[L.PUPIL_R])
    for key in (L.BROW_PEAK_L, L.BROW_PEAK_R):
        editor.choose(key.value)
        click(qtbot, editor, *EARLIER[key])
    tolerance = 1.5 / editor.view.transform().m11()  # a screen pixel in photo pixels, rounded
    for key in (L.PUPIL_L, L.PUPIL_R, L.BROW_PEAK_L, L.BROW_PEAK_R):
        assert close_to(editor.document.points[key.value], EARLIER[key], tolerance)
    assert "✓" in editor.keys.item(0).text() and editor.is_modified()

    # Dragging the left brow peak 40 photo pixels up moves it, in one undo step.
    steps_before = editor.undo_stack.count()
    viewport = editor.view.viewport()
    start = view_point(editor, *editor.document.points[L.BROW_PEAK_L.value])
    end = view_point(editor, EARLIER[L.BROW_PEAK_L][0], EARLIER[L.BROW_PEAK_L][1] - 40)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):
        qtbot.mouseMove(viewport, start + (end - start) * step / 5)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)
    dragged = editor.document.points[L.BROW_PEAK_L.value]
    assert close_to(dragged, (EARLIER[L.BROW_PEAK_L][0], EARLIER[L.BROW_PEAK_L][1] - 40), 2 * tolerance)
    assert editor.undo_stack.count() == steps_before + 1

    # The iris: two clicks across it give its diameter in pixels.
    cx, cy = EARLIER[L.PUPIL_R]
    editor.iris_button.setChecked(True)
    click(qtbot, editor, cx - IRIS_PX / 2, cy)
    click(qtbot, editor, cx + IRIS_PX / 2, cy)
    assert not editor.iris_button.isChecked()
    assert abs(editor.document.iris_px - IRIS_PX) <= 2 * tolerance
    assert editor.iris_circle.isVisible()

    editor.save()
    qtbot.waitUntil(lambda: editor.status.text().startswith("Saved") and tasks.is_idle())
    stored = load_landmarks(demo_db, photo.id)
    assert stored is not None and stored.points == editor.document.points
    assert stored.iris_diameter_px == editor.document.iris_px
    assert not editor.is_modified()
    # The measures beside the photo are those of what was saved: the left brow is higher.
    assert "brow height" in editor.measures.text() and "left greater" in editor.measures.text()


def test_a_click_off_the_photo_and_an_unknown_landmark_are_refused_storing_nothing(
    qtbot, demo_db, patient_visits, tasks
):
    _chart, visits = patient_visits
    photo = add_photo(demo_db, visits[0], dotted_photo(EARLIER, GREEN, GREEN), "rest")
    place(demo_db, photo.id, Landmarks.of({"pupil_l": EARLIER[L.PUPIL_L]}, SIZE, SIZE), IRIS_PX)
    editor = open_editor(qtbot, demo_db, tasks, photo.id)
    assert editor.document.points == {"pupil_l": EARLIER[L.PUPIL_L]}
    before = snapshot(demo_db)

    editor.choose(L.CHIN.value)
    click(qtbot, editor, -20, SIZE / 2)  # in the view, beside the photo
    assert "off the photo" in editor.message.text() and editor.message.isVisible()
    assert L.CHIN.value not in editor.document.points and not editor.is_modified()

    # A key that is no landmark (as a damaged recovery or a future version might hold)
    # reaches the service, which refuses it: said beside the photo, nothing stored.
    editor.document.set_point("tragus_l", (100.0, 100.0))
    editor.save()
    qtbot.waitUntil(lambda: editor.message.isVisible() and tasks.is_idle())
    assert "not a face landmark" in editor.message.text() and "Not saved" in editor.message.text()
    assert snapshot(demo_db) == before
    assert load_landmarks(demo_db, photo.id).points == {"pupil_l": EARLIER[L.PUPIL_L]}


# --- the Compare view -------------------------------------------------------------------


@pytest.fixture
def compared(demo_db, patient_visits):
    """Rest photos at three visits: the first and second with landmarks where their pupils
    are drawn (the second turned, smaller and moved), the third without landmarks."""
    chart, visits = patient_visits
    first = add_photo(demo_db, visits[0], dotted_photo(EARLIER, GREEN, GREEN), "rest")
    place(demo_db, first.id, EARLIER, IRIS_PX)
    second = add_photo(demo_db, visits[1], dotted_photo(LATER, RED, BLUE), "rest")
    place(demo_db, second.id, LATER, IRIS_PX * LATER_SCALE)
    add_photo(demo_db, visits[2], dotted_photo(LATER, RED, BLUE), "rest")
    add_photo(demo_db, visits[1], dotted_photo(EARLIER, GREEN, GREEN), "smile")
    return chart, visits


def open_view(qtbot, db, tasks, chart, pose="rest", visits=None):
    view = open_compare(None, db, tasks, chart, pose, visits)
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.pair() is not None and view.status.text().startswith(pose))
    return view


def pixel(image, point) -> tuple[int, int, int]:
    colour = image.pixelColor(round(point[0]), round(point[1]))
    return colour.red(), colour.green(), colour.blue()


def test_the_later_photo_is_aligned_on_the_earlier_ones_eyes(qtbot, demo_db, compared, tasks):
    chart, visits = compared
    view = open_view(qtbot, demo_db, tasks, chart)
    earlier, later = view.pair()
    assert (earlier.visit_id, later.visit_id) == (visits[0], visits[2])  # first and latest by default
    assert NOT_ALIGNED in view.note.text() and not view.aligned  # the latest has no landmarks
    assert "not measured: no landmarks placed" in view.later_measures.text()

    view.choose(earlier=visits[0], later=visits[1])
    qtbot.waitUntil(lambda: view.aligned)
    assert view.note.isHidden()
    transform = view.later_transform()
    for key in (L.PUPIL_L, L.PUPIL_R):
        mapped = transform.map(QPointF(*LATER[key]))
        assert close_to((mapped.x(), mapped.y()), EARLIER[key], 1.0)
    # Drawn: blended fully, the later photo's pupils sit on the earlier photo's.
    view.blend.setChecked(True)
    view.slider.setValue(100)
    drawn = view.rendered()
    assert near_colour(pixel(drawn, EARLIER[L.PUPIL_L]), RED)
    assert near_colour(pixel(drawn, EARLIER[L.PUPIL_R]), BLUE)
    view.slider.setValue(0)
    drawn = view.rendered()
    assert near_colour(pixel(drawn, EARLIER[L.PUPIL_L]), GREEN)
    assert near_colour(pixel(drawn, EARLIER[L.PUPIL_R]), GREEN)
    # Measures beside each photo, the later one's change since the earlier visit.
    assert "brow height" in view.earlier_measures.text()
    assert "since the last visit" in view.later_measures.text()

    # Unaligned, the later photo's pupils are not where the earlier photo's are.
    view.choose(earlier=visits[0], later=visits[2])
    qtbot.waitUntil(lambda: not view.aligned)
    view.slider.setValue(100)
    drawn = view.rendered()
    assert near_colour(pixel(drawn, EARLIER[L.PUPIL_L]), BACKGROUND)
    assert view.later_transform().isIdentity() and view.note.isVisible()


def test_the_blend_slider_sets_the_later_photos_opacity(qtbot, demo_db, compared, tasks):
    chart, visits = compared
    view = open_view(qtbot, demo_db, tasks, chart)
    view.choose(earlier=visits[0], later=visits[1])
    qtbot.waitUntil(lambda: view.aligned)
    assert view.later_item.opacity() == 1.0 and not view.slider.isEnabled()  # side by side
    side_by_side = view.frame.pos().x()
    assert side_by_side >= SIZE
    view.blend.setChecked(True)
    assert view.slider.isEnabled() and view.frame.pos().x() == 0
    for value in (0, 30, 75, 100):
        view.slider.setValue(value)
        assert view.later_item.opacity() == pytest.approx(value / 100)
    view.slider.setValue(50)
    mixed = pixel(view.rendered(), EARLIER[L.PUPIL_L])  # half green, half red
    assert 80 <= mixed[0] <= 150 and 50 <= mixed[1] <= 120
    view.side_by_side.setChecked(True)
    assert view.later_item.opacity() == 1.0 and view.frame.pos().x() == side_by_side


def test_the_view_opens_on_the_visits_asked_for(qtbot, demo_db, compared, tasks):
    chart, visits = compared
    view = open_view(qtbot, demo_db, tasks, chart, "rest", (visits[1], visits[2]))
    assert [shot.visit_id for shot in view.pair()] == [visits[1], visits[2]]


def test_switching_the_pair_uses_the_decoded_photos(qtbot, demo_db, compared, tasks, monkeypatch):
    import ui.landmark_editor

    calls: list[int] = []
    real = ui.landmark_editor.photo_image

    def counted(db, photo_id, purpose="view"):
        calls.append(photo_id)
        return real(db, photo_id, purpose)

    monkeypatch.setattr(ui.landmark_editor, "photo_image", counted)
    chart, visits = compared
    view = open_view(qtbot, demo_db, tasks, chart)
    assert len(calls) == 2  # first and latest
    view.choose(earlier=visits[0], later=visits[1])
    qtbot.waitUntil(lambda: view.aligned and tasks.is_idle())
    assert len(calls) == 3  # only the one not seen yet
    for _ in range(2):
        for pair in ((visits[0], visits[2]), (visits[1], visits[2]), (visits[0], visits[1])):
            view.choose(earlier=pair[0], later=pair[1])
            assert tasks.is_idle()  # shown at once, nothing asked of the database
            assert [shot.visit_id for shot in view.pair()] == list(pair)
        view.blend.setChecked(not view.blend.isChecked())
    assert len(calls) == 3
    # Another pose: its photos are read then, once.
    view.choose(pose="smile")
    qtbot.waitUntil(lambda: view.status.text().startswith("smile") and tasks.is_idle())
    assert len(calls) == 4 and ONE_VISIT in view.note.text()
