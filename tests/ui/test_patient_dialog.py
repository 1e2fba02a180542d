"""The patient form applies the same identity rules as imports: a chart number in another
letter case is the chart already stored, and a chart number is never a path."""

from app.services.patients import search_patients
from ui.patient_dialog import PatientDialog


def save_patient(qtbot, db, chart_number: str) -> PatientDialog:
    dialog = PatientDialog(db, None, chart_number)
    qtbot.addWidget(dialog)
    dialog.given_name.setText("Maria")
    dialog.family_name.setText("Costa")
    dialog.born_unknown.setChecked(True)
    dialog.save()
    return dialog


def test_a_recased_chart_number_is_refused_in_the_form(qtbot, db, patient):
    dialog = save_patient(qtbot, db, "a-0001")
    assert dialog.saved is None
    assert "chart number A-0001 is already in use" in dialog.error.text()
    assert [p.chart_number for p in search_patients(db, include_archived=True)] == ["A-0001"]


def test_a_chart_number_that_is_a_path_is_refused_in_the_form(qtbot, db):
    dialog = save_patient(qtbot, db, "A/../../etc/x")
    assert dialog.saved is None and "may only hold letters, digits" in dialog.error.text()
    assert search_patients(db, include_archived=True) == []
