"""The patient form applies the same identity rule as imports: a chart number in another
letter case is the chart already stored (issue 10)."""

from app.patients import search_patients


def test_a_recased_chart_number_is_refused_in_the_form(qtbot, db, patient):
    from ui.patient_dialog import PatientDialog

    dialog = PatientDialog(db, None, "a-0001")
    qtbot.addWidget(dialog)
    dialog.given_name.setText("Maria")
    dialog.family_name.setText("Costa")
    dialog.born_unknown.setChecked(True)
    dialog.save()
    assert dialog.saved is None
    assert "chart number A-0001 is already in use" in dialog.error.text()
    assert [p.chart_number for p in search_patients(db, include_archived=True)] == ["A-0001"]


def test_a_chart_number_that_is_a_path_is_refused_in_the_form(qtbot, db):
    from ui.patient_dialog import PatientDialog

    dialog = PatientDialog(db, None, "A/../../etc/x")
    qtbot.addWidget(dialog)
    dialog.given_name.setText("Maria")
    dialog.family_name.setText("Costa")
    dialog.born_unknown.setChecked(True)
    dialog.save()
    assert dialog.saved is None and "may only hold letters, digits" in dialog.error.text()
    assert search_patients(db, include_archived=True) == []
