"""The patient form applies the same identity rules as imports: a chart number in another
letter case is the chart already stored, and a chart number is never a path."""

from app.services.patients import search_patients
from ui.patient_dialog import PatientDialog
from ui.tasks import TaskRunner


def save_patient(qtbot, db, chart_number: str) -> PatientDialog:
    """Saved as the window saves it: on the task runner's thread."""
    tasks = TaskRunner()
    dialog = PatientDialog(db, None, chart_number, tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.given_name.setText("Maria")
    dialog.family_name.setText("Costa")
    dialog.born_unknown.setChecked(True)
    dialog.save()
    qtbot.waitUntil(tasks.is_idle)
    assert dialog.buttons.isEnabled()
    return dialog


def test_the_form_stores_off_the_gui_thread(qtbot, db):
    tasks = TaskRunner()
    dialog = PatientDialog(db, None, "A-0042", tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.given_name.setText("Maria")
    dialog.family_name.setText("Costa")
    dialog.born_unknown.setChecked(True)
    dialog.save()
    assert not dialog.buttons.isEnabled() and dialog.error.text() == "Saving…"  # busy while it stores
    qtbot.waitUntil(tasks.is_idle)
    assert dialog.saved is not None and dialog.result() == dialog.DialogCode.Accepted
    [stored] = search_patients(db, "A-0042")
    assert (stored.given_name, stored.family_name, stored.date_of_birth) == ("Maria", "Costa", None)
    assert dialog.saved.id == stored.id


def test_a_recased_chart_number_is_refused_in_the_form(qtbot, db, patient):
    dialog = save_patient(qtbot, db, "a-0001")
    assert dialog.saved is None
    assert "chart number A-0001 is already in use" in dialog.error.text()
    assert [p.chart_number for p in search_patients(db, include_archived=True)] == ["A-0001"]


def test_a_chart_number_that_is_a_path_is_refused_in_the_form(qtbot, db):
    dialog = save_patient(qtbot, db, "A/../../etc/x")
    assert dialog.saved is None and "may only hold letters, digits" in dialog.error.text()
    assert search_patients(db, include_archived=True) == []
