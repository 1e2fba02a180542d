"""The main window over a real demo database, driven as a user drives it."""

from datetime import datetime
from decimal import Decimal

from PySide6.QtCore import Qt

from app.services.patients import search_patients
from app.services.recall import describe_due, patient_due
from app.services.visits import get_visit, list_visits
from models.base import format_amount
from models.recall import area_of_region, areas
from models.regions import REGIONS
from ui.actions import MainAction
from ui.main_window import MainWindow
from ui.table_model import Column, RecordTableModel


def cell(model, row, column, role=Qt.ItemDataRole.DisplayRole):
    return model.data(model.index(row, column), role)


def open_window(qtbot, db):
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.patient_model.rowCount() > 0 and window.tasks.is_idle())
    return window


def test_record_model_passes_the_model_tester(qtmodeltester, demo_db):
    model = RecordTableModel(
        [Column("Chart", lambda p: p.chart_number), Column("Name", lambda p: p.display_name)]
    )
    model.set_records(search_patients(demo_db))
    qtmodeltester.check(model)


def test_patients_listed_and_first_chart_opened(qtbot, demo_db):
    window = open_window(qtbot, demo_db)
    expected = search_patients(demo_db)
    assert window.patient_model.rowCount() == len(expected)
    assert cell(window.patient_model, 0, 0) == expected[0].chart_number
    assert window.patient_count.text() == f"{len(expected)} patients"
    qtbot.waitUntil(lambda: window.visit_model.rowCount() > 0 and window.point_model.rowCount() > 0)
    visits = list_visits(demo_db, expected[0].chart_number)
    assert window.visit_model.rowCount() == len(visits)
    assert expected[0].given_name in window.patient_header.text()


def test_search_narrows_the_list(qtbot, demo_db):
    window = open_window(qtbot, demo_db)
    target = search_patients(demo_db)[5]
    qtbot.keyClicks(window.search, target.chart_number)
    qtbot.waitUntil(lambda: window.patient_model.rowCount() == 1)
    assert cell(window.patient_model, 0, 0) == target.chart_number
    window.search.setText("no such patient anywhere")
    qtbot.waitUntil(lambda: window.patient_model.rowCount() == 0)
    assert "No patient matches" in window.patient_header.text()


def test_visit_sites_and_left_against_right(qtbot, demo_db):
    window = open_window(qtbot, demo_db)
    qtbot.waitUntil(lambda: window.point_model.rowCount() > 0 and window.tasks.is_idle())
    newest = window.visit_model.record(0)
    record = get_visit(demo_db, newest.id)
    assert window.point_model.rowCount() == len(record.points)
    first = record.points[0]
    assert cell(window.point_model, 0, 0) == REGIONS[first.region_code].label
    assert cell(window.point_model, 0, 2).endswith(first.unit.value)
    colour = cell(window.point_model, 0, 1, Qt.ItemDataRole.ForegroundRole)
    assert colour is not None  # products carry their chart colour
    # Left against right per paired area: the first point's area, its product, its left side.
    area = area_of_region()[first.region_code]
    left = sum(
        (
            p.amount
            for p in record.points
            if p.region_code.endswith("_l")
            and area_of_region()[p.region_code] == area
            and p.product_name == first.product_name
        ),
        Decimal(0),
    )
    row = next(
        r
        for r in range(window.side_model.rowCount())
        if (cell(window.side_model, r, 0), cell(window.side_model, r, 1))
        == (areas()[area].name, first.product_name)
    )
    expected = f"{format_amount(left)} {first.unit.value}" if window.side_model.record(row).paired else "—"
    assert cell(window.side_model, row, 2) == expected


def test_choosing_an_older_visit_shows_its_sites(qtbot, demo_db):
    window = open_window(qtbot, demo_db)
    qtbot.waitUntil(lambda: window.visit_model.rowCount() > 0 and window.tasks.is_idle())
    last_row = window.visit_model.rowCount() - 1
    oldest = window.visit_model.record(last_row)
    newest = window.visit_model.record(0)
    assert oldest.id != newest.id
    window.visit_table.selectRow(last_row)
    record = get_visit(demo_db, oldest.id)
    expected = [(REGIONS[p.region_code].label, p.product_name) for p in record.points]
    assert expected != [
        (REGIONS[p.region_code].label, p.product_name) for p in get_visit(demo_db, newest.id).points
    ]  # the two visits differ: the table below shows the chosen one, not the newest still

    def shown():
        return [
            (cell(window.point_model, r, 0), cell(window.point_model, r, 1))
            for r in range(window.point_model.rowCount())
        ]

    qtbot.waitUntil(lambda: window.tasks.is_idle() and shown() == expected)


def test_allergies_are_shown_in_full(qtbot, db):
    from datetime import date

    from PySide6.QtGui import QTextDocument

    from app.services.patients import create_patient
    from models.records import PatientDraft

    create_patient(
        db,
        PatientDraft(
            "A-1",
            "Ana",
            "<b>Costa</b>",
            date(1980, 1, 1),
            allergies="latex, lidocaine<epinephrine, penicillin",
        ),
    )
    window = open_window(qtbot, db)
    shown = QTextDocument()
    shown.setHtml(window.patient_header.text())
    assert "Allergies: latex, lidocaine<epinephrine, penicillin" in shown.toPlainText()
    assert "<b>Costa</b>" in shown.toPlainText()


def test_new_patient_form_checks_and_stores(qtbot, db):
    from datetime import date

    from ui.patient_dialog import PatientDialog

    dialog = PatientDialog(db, None, "A-0100")
    qtbot.addWidget(dialog)
    dialog.given_name.setText("Zoë")
    dialog.save()  # no family name yet: refused, the form stays
    assert dialog.saved is None and "family name is required" in dialog.error.text()
    assert "b00020" in dialog.family_name.styleSheet()
    dialog.family_name.setText("Ångström-Núñez")
    qtbot.keyClicks(dialog.born.line, "1985-03-14")
    dialog.allergies.setPlainText("lidocaine")
    dialog.save()
    assert dialog.saved is not None
    stored = search_patients(db, "A-0100")[0]
    assert (stored.given_name, stored.family_name, stored.date_of_birth, stored.allergies) == (
        "Zoë",
        "Ångström-Núñez",
        date(1985, 3, 14),
        "lidocaine",
    )


def test_main_window_new_patient_goes_through_the_form(qtbot, db, monkeypatch):
    from app.services.patients import create_patient
    from models.records import PatientDraft
    from ui.patient_dialog import PatientDialog

    asked = []

    def fake_ask(cls, database, patient, chart_number, parent):
        asked.append(chart_number)
        return create_patient(database, PatientDraft(chart_number, "Mei", "Chen"))

    monkeypatch.setattr(PatientDialog, "ask", classmethod(fake_ask))
    create_patient(db, PatientDraft("A-0007", "Ana", "Costa"))
    window = open_window(qtbot, db)
    window.actions[MainAction.NEW_PATIENT].trigger()
    qtbot.waitUntil(lambda: asked == ["A-0008"])  # the next free number, asked for off the GUI thread
    qtbot.waitUntil(lambda: window.patient_model.rowCount() == 1 and window.tasks.is_idle())
    assert cell(window.patient_model, 0, 0) == "A-0008"
    assert window.current_patient.chart_number == "A-0008" and "Mei" in window.patient_header.text()


def test_patient_page_shows_next_due_per_area(qtbot, demo_db):
    window = open_window(qtbot, demo_db)
    qtbot.waitUntil(lambda: window.next_due.text().startswith("Next due") and window.tasks.is_idle())
    today = datetime.now(demo_db.timezone).date()
    expected = describe_due(patient_due(demo_db, window.current_patient.id, today))
    assert expected  # the demo's first patient has maintenance pending: the text below is not empty
    assert window.next_due.text() == f"Next due — {expected}"
