"""Allergies and alerts in sight while charting: the visit window covers the patient page,
so the editor carries a banner with both, kept up to date when the patient is edited."""

from dataclasses import replace

from app.services.catalogue import list_products
from app.services.patients import create_patient, get_patient, update_patient
from app.services.visits import start_visit
from models.records import PatientDraft
from models.vocabulary import Sex
from ui.visit_editor import ALERT_STYLE, NO_ALERT_STYLE, VisitEditor

HEBREW = "לידוקאין"  # lidocaine
ARABIC = "حامل"  # pregnant


def open_editor(qtbot, db, patient):
    opened = start_visit(db, patient.id)
    editor = VisitEditor(
        db,
        patient,
        opened.visit,
        list_products(db.factory),
        opened.providers,
        opened.previous,
        opened.templates,
        created=opened.created,
    )
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitUntil(lambda: editor.pen is not None and editor.tasks.is_idle())
    return editor


def test_allergies_and_alerts_are_in_sight_on_open(qtbot, db, provider):
    patient = create_patient(
        db,
        PatientDraft(
            "A-0001",
            "Zoë",
            "Ångström-Núñez",
            sex=Sex.FEMALE,
            allergies=f"lidocaine\n{HEBREW}",
            alerts=f"{ARABIC}\n20 weeks, on warfarin",
        ),
    )
    editor = open_editor(qtbot, db, patient)
    banner = editor.alert_banner
    assert banner.isVisible() and banner.height() > 0
    text = banner.text()
    assert "<b>Allergies:</b>" in text and "<b>Alerts:</b>" in text
    # Each line keeps its own direction: the Hebrew and Arabic read right to left in place.
    assert f"\u2068{HEBREW}\u2069" in text and f"\u2068{ARABIC}\u2069" in text
    shown = text.replace("\u2068", "").replace("\u2069", "")
    assert f"lidocaine; {HEBREW}" in shown and f"{ARABIC}; 20 weeks, on warfarin" in shown
    assert banner.styleSheet() == ALERT_STYLE
    # Above the face map: the banner sits higher in the window than the chart.
    assert (
        banner.mapTo(editor, banner.rect().topLeft()).y()
        < editor.face_view.mapTo(editor, editor.face_view.rect().topLeft()).y()
    )


def test_no_allergies_recorded_is_said_not_left_blank(qtbot, db, patient, provider):
    editor = open_editor(qtbot, db, patient)
    assert editor.alert_banner.isVisible()
    assert "<b>Allergies:</b> none recorded" in editor.alert_banner.text()
    assert "<b>Alerts:</b> none recorded" in editor.alert_banner.text()
    assert editor.alert_banner.styleSheet() == NO_ALERT_STYLE


def test_markup_in_an_allergy_is_shown_not_obeyed(qtbot, db, provider):
    patient = create_patient(db, PatientDraft("A-0001", "Ana", "Costa", allergies="lidocaine<epinephrine"))
    editor = open_editor(qtbot, db, patient)
    assert "lidocaine&lt;epinephrine" in editor.alert_banner.text()


def test_the_banner_follows_an_edit_of_the_patient(qtbot, db, patient, provider, monkeypatch):
    from ui.main_window import MainWindow
    from ui.patient_dialog import PatientDialog

    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.current_patient is not None and window.tasks.is_idle())
    window.new_visit(copy_previous=False)
    qtbot.waitUntil(lambda: bool(window.editors) and window.editors[0].pen is not None)
    editor = window.editors[0]
    qtbot.addWidget(editor)
    assert "none recorded" in editor.alert_banner.text()

    def fake_ask(cls, database, record, chart_number, parent):
        draft = PatientDraft(
            record.chart_number,
            record.given_name,
            record.family_name,
            record.date_of_birth,
            record.sex,
            allergies=HEBREW,
            alerts="breast-feeding",
        )
        return update_patient(database, record.id, draft)

    monkeypatch.setattr(PatientDialog, "ask", classmethod(fake_ask))
    window.edit_patient(window.current_patient)
    assert HEBREW in editor.alert_banner.text() and "breast-feeding" in editor.alert_banner.text()
    assert editor.alert_banner.styleSheet() == ALERT_STYLE
    qtbot.waitUntil(lambda: window.tasks.is_idle() and "breast-feeding" in window.patient_header.text())
    assert "Alerts:" in window.patient_header.text()


def test_the_patient_form_stores_the_alerts(qtbot, db, patient):
    from ui.patient_dialog import PatientDialog

    dialog = PatientDialog(db, patient, patient.chart_number)
    qtbot.addWidget(dialog)
    assert dialog.alerts.placeholderText() == "pregnant, breast-feeding, on warfarin…"
    dialog.alerts.setPlainText(f"{ARABIC}\non apixaban")
    dialog.save()
    assert dialog.saved is not None and dialog.saved.alerts == f"{ARABIC}\non apixaban"
    assert get_patient(db, patient.chart_number).alerts == f"{ARABIC}\non apixaban"
    reopened = PatientDialog(db, dialog.saved, patient.chart_number)
    qtbot.addWidget(reopened)
    assert reopened.alerts.toPlainText() == f"{ARABIC}\non apixaban"


def test_the_patient_form_refuses_control_characters_in_the_alerts(qtbot, db, patient):
    from ui.patient_dialog import PatientDialog

    dialog = PatientDialog(db, replace(patient), patient.chart_number)
    qtbot.addWidget(dialog)
    dialog.alerts.setPlainText("pregnant\x1b[2J")
    dialog.save()
    assert dialog.saved is None and "alerts" in dialog.error.text()
    assert "b00020" in dialog.alerts.styleSheet()
    assert get_patient(db, patient.chart_number).alerts == ""
