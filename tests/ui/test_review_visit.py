"""A review visit from the patient page, and the due list's patients and phones."""

from datetime import datetime

from PySide6.QtCore import Qt

from app.services.patients import search_patients
from app.services.recall import due_page, due_patients
from app.services.visits import list_visits
from models.vocabulary import VisitKind
from tests.ui.test_main_window import open_window
from tests.ui.test_recall_ui import open_due_window
from ui.actions import MainAction


def test_new_review_visit_is_recorded_and_listed_with_its_kind(qtbot, demo_db):
    window = open_window(qtbot, demo_db)
    window.patient_table.selectRow(0)
    qtbot.waitUntil(lambda: window.current_patient is not None and window.tasks.is_idle())
    patient = window.current_patient
    before = len(list_visits(demo_db, patient.chart_number))
    assert window.review_visit_button.isEnabled() and window.actions[MainAction.NEW_REVIEW_VISIT].isEnabled()
    window.actions[MainAction.NEW_REVIEW_VISIT].trigger()
    qtbot.waitUntil(lambda: len(window.editors) == 1 and window.tasks.is_idle())
    visits = list_visits(demo_db, patient.chart_number)
    assert len(visits) == before + 1 and visits[-1].kind is VisitKind.REVIEW
    qtbot.waitUntil(lambda: window.visit_model.rowCount() == before + 1)
    kind_column = next(
        i
        for i in range(window.visit_model.columnCount())
        if window.visit_model.headerData(i, Qt.Orientation.Horizontal) == "Kind"
    )
    assert window.visit_model.data(window.visit_model.index(0, kind_column)) == "review"
    window.editors[0].close()  # closed unsaved: the review visit stays
    qtbot.waitUntil(lambda: not window.editors)
    assert list_visits(demo_db, patient.chart_number)[-1].kind is VisitKind.REVIEW


def test_due_window_counts_patients_and_shows_phones(qtbot, demo_db):
    window = open_due_window(qtbot, demo_db)
    today = datetime.now(demo_db.timezone).date()
    expected, patients = due_page(demo_db, today, 14), due_patients(demo_db, today, 14)
    qtbot.waitUntil(lambda: window.patients is not None)
    text = window.counts.text().replace("<b>", "").replace("</b>", "")
    assert f"for {patients} patient" in text and 0 < patients <= expected.total
    phone_column = next(
        i
        for i in range(window.model.columnCount())
        if window.model.headerData(i, Qt.Orientation.Horizontal) == "Phone"
    )
    phones = {p.chart_number: p.phone for p in search_patients(demo_db, limit=None)}
    for row in range(window.model.rowCount()):
        record = window.model.record(row)
        assert window.model.data(window.model.index(row, phone_column)) == (
            phones[record.chart_number] or "—"
        )
    assert not window.grab().isNull()  # the whole window paints
