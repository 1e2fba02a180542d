"""Safety checks in the visit editor: marked on the markers and in the totals while
charting (never a dialog), one question listing every warning when saving, refusals above
a hard ceiling, copied doses checked like any other, hyaluronidase never questioned."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.services.patients import create_patient
from app.services.providers import create_provider
from app.services.visits import create_visit, get_visit, replace_points
from models.records import ChartedPoint, PatientDraft
from models.regions import front_anchor
from models.vocabulary import DoseUnit, Sex, View
from tests.conftest import botox_point, snapshot
from tests.ui.test_visit_editor import new_visit_editor
from ui.commands import AddPoints
from ui.visit_editor import VisitEditor


@pytest.fixture
def asked(monkeypatch):
    """Each call of the save question, with the warnings it listed; answered `answer[0]`."""
    calls, answer = [], ["Masseter hypertrophy, agreed with the prescriber"]
    monkeypatch.setattr(
        VisitEditor,
        "ask_warning_reason",
        classmethod(lambda cls, parent, warnings: calls.append([str(w) for w in warnings]) or answer[0]),
    )
    return calls, answer


@pytest.fixture
def clinic(db):
    provider = create_provider(db, "Dana Reyes", "RN")
    patient = create_patient(
        db, PatientDraft("S-0001", "Ana", "Silva", None, Sex.FEMALE, allergies="Lidocaína (hives)")
    )
    return patient, provider


def open_editor(qtbot, db, patient, copy_previous=False):
    editor = new_visit_editor(qtbot, db, patient, copy_previous)
    qtbot.waitUntil(editor.tasks.is_idle)
    return editor


def place(editor, region, product, amount, unit=DoseUnit.UNITS):
    x, y = front_anchor(region)
    point = ChartedPoint(View.FRONT, x, y, region, product, unit, Decimal(amount), 1, lot_number=None)
    editor.undo_stack.push(AddPoints(editor.document, [point], "place"))
    return editor.document.items()[-1][0]


def save(qtbot, editor):
    editor.save_action.trigger()
    qtbot.waitUntil(lambda: editor.tasks.is_idle() and editor.save_action.isEnabled())


def test_a_warning_marks_the_marker_and_totals_and_saving_asks_once(qtbot, db, clinic, asked):
    calls, _ = asked
    editor = open_editor(qtbot, db, clinic[0])
    uid = place(editor, "upper_lip_r", "Botox Cosmetic", "100")
    place(editor, "glabella", "Botox Cosmetic", "40")
    marker = editor.scenes[View.FRONT].markers[uid]
    assert "100 U Botox Cosmetic at Upper lip, right (usual 1–4 U per site)" in marker.safety
    assert marker.label.text() == "100U ⚠" and marker.toolTip().count("⚠") == 1 and not marker.refused
    assert "40 U Botox Cosmetic at Glabella (usual 2–8 U per site)" in editor.totals.safety.text()
    assert calls == []  # charting never asks
    save(qtbot, editor)
    assert len(calls) == 1
    assert "100 U Botox Cosmetic at Upper lip, right (usual 1–4 U per site)" in calls[0]
    assert "40 U Botox Cosmetic at Glabella (usual 2–8 U per site)" in calls[0]
    saved = get_visit(db, editor.visit.id)
    assert saved.warning_reason == "Masseter hypertrophy, agreed with the prescriber"
    assert [p.amount for p in saved.points] == [Decimal(100), Decimal(40)]


def test_no_reason_no_save(qtbot, db, clinic, asked):
    calls, answer = asked
    answer[0] = None
    editor = open_editor(qtbot, db, clinic[0])
    place(editor, "upper_lip_r", "Botox Cosmetic", "40")
    save(qtbot, editor)
    assert len(calls) == 1 and editor.is_modified()
    assert get_visit(db, editor.visit.id).points == []
    assert editor.statusBar().currentMessage().startswith("Not saved: give a reason")


def test_placing_a_product_the_patient_is_allergic_to_warns_at_once(qtbot, db, clinic, asked):
    editor = open_editor(qtbot, db, clinic[0])
    editor.pen_panel.choose_product("Restylane Lyft")
    qtbot.waitUntil(lambda: editor.pen is not None and editor.pen.product_name == "Restylane Lyft")
    x, y = front_anchor("cheek_l")
    editor.place_point(x, y, "cheek_l")
    [(uid, _)] = editor.document.items()
    message = 'Restylane Lyft contains lidocaine; the patient\'s allergies say "lidocaina"'
    assert editor.statusBar().currentMessage() == f"⚠ {message}"
    assert message in editor.scenes[View.FRONT].markers[uid].safety


def test_above_a_hard_ceiling_the_save_is_refused_with_the_figures(qtbot, db, clinic, asked):
    calls, _ = asked
    editor = open_editor(qtbot, db, clinic[0])
    uid = place(editor, "cheek_l", "Juvéderm Voluma XC", "50", DoseUnit.MILLILITRES)
    assert editor.scenes[View.FRONT].markers[uid].refused
    before = snapshot(db)
    save(qtbot, editor)
    assert calls == [] and snapshot(db) == before
    assert "50 mL of Juvéderm Voluma XC at one site is more than 10 mL" in editor.statusBar().currentMessage()


def test_hyaluronidase_5000_units_is_saved_without_a_question(qtbot, db, clinic, asked):
    calls, _ = asked
    editor = open_editor(qtbot, db, clinic[0])
    place(editor, "cheek_l", "Hylenex", "3000")
    place(editor, "nasolabial_l", "Hylenex", "2000")
    assert editor.totals.safety.text() == ""
    save(qtbot, editor)
    assert calls == [] and not editor.is_modified()
    assert sum(p.amount for p in get_visit(db, editor.visit.id).points) == Decimal(5000)
    assert editor.totals.product_model.rowCount() == 1  # the large dose is shown in the totals


def test_copied_points_with_a_mistyped_dose_are_marked(qtbot, db, clinic, asked):
    patient, provider = clinic
    earlier = create_visit(db, patient.id, provider.id, datetime.now(UTC) - timedelta(days=200))
    replace_points(
        db,
        earlier.id,
        earlier.version,
        [botox_point("upper_lip_r", "100"), botox_point("glabella", "4")],
        warning_reason="historic",
    )
    editor = open_editor(qtbot, db, patient, copy_previous=True)
    flagged = [uid for uid, m in editor.scenes[View.FRONT].markers.items() if m.safety]
    assert [editor.document.point(uid).amount for uid in flagged] == [Decimal(100)]
    assert "1 of them break a safety check" in editor.statusBar().currentMessage()


def test_two_visits_of_300_units_20_days_apart(qtbot, db, clinic, asked):
    patient, provider = clinic
    earlier = create_visit(db, patient.id, provider.id, datetime.now(UTC) - timedelta(days=20))
    replace_points(
        db, earlier.id, earlier.version, [botox_point(r, "30") for r in ["masseter_l", "masseter_r"] * 5]
    )
    editor = open_editor(qtbot, db, patient)
    for region in ["masseter_l", "masseter_r"] * 5:
        place(editor, region, "Botox Cosmetic", "30")
    text = editor.totals.safety.text()
    assert "600 U Botox Cosmetic within 90 days" in text
    assert "Masseters treated with Botox Cosmetic 20 days ago" in text
