"""Doses and dates typed into the window are exactly what the injector meant, on every
workstation locale: the pen, the inspector, a new lot's expiry, a birth date, the visit's day."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QLocale, Qt

from app.services.catalogue import list_products
from app.services.patients import search_patients
from app.services.visits import get_visit
from models.amounts import parse_amount
from models.errors import ValidationError
from models.regions import front_anchor
from models.vocabulary import DoseUnit, ProductKind
from tests.locales import TEST_LOCALES, workstation_locale
from tests.ui.test_visit_editor import click, open_editor
from ui.field_message import REFUSED_STYLE
from ui.patient_dialog import PatientDialog
from ui.pen_panel import NEW_LOT

GLABELLA = front_anchor("procerus")
CHEEK = front_anchor("cheek_l")


@contextmanager
def qt_and_python_locale(name: str):
    """The workstation's locale as Qt and Python see it, for widgets built inside the block."""
    with workstation_locale(name):
        QLocale.setDefault(QLocale.c() if name == "C" else QLocale(name.split(".")[0]))
        try:
            yield
        finally:
            QLocale.setDefault(QLocale.c())


def choose_filler(qtbot, editor) -> None:
    """The pen takes the first filler of the catalogue, with a lot."""
    filler = next(
        p.name for p in list_products(editor.database.factory) if p.kind == ProductKind.FILLER.value
    )
    editor.pen_panel.choose_product(filler)
    qtbot.waitUntil(lambda: editor.pen.lot_number is not None and editor.tasks.is_idle())


def type_into(qtbot, line, text: str) -> None:
    """As an injector does: Tab into the field (all its text selected), then type."""
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text)


def save(qtbot, editor):
    editor.save_action.trigger()
    qtbot.waitUntil(lambda: not editor.is_modified() and editor.tasks.is_idle())
    return get_visit(editor.database, editor.visit.id)


@pytest.mark.parametrize("name", TEST_LOCALES)
@pytest.mark.parametrize(
    "typed, toxin, saved",
    [
        ("0,1", False, "0.1"),
        ("0,05", False, "0.05"),
        ("0.05 mL", False, "0.05"),
        ("2,5", True, "2.5"),
        ("2.5", True, "2.5"),
        ("2,5u", True, "2.5"),
    ],
)
def test_the_pens_amount_is_saved_exactly_as_typed(qtbot, demo_db, name, typed, toxin, saved):
    with qt_and_python_locale(name):
        editor = open_editor(qtbot, demo_db)
        if not toxin:
            choose_filler(qtbot, editor)
        type_into(qtbot, editor.pen_panel.amount.line, typed)
        click(qtbot, editor, *(GLABELLA if toxin else CHEEK))
        [point] = save(qtbot, editor).points
    assert point.amount == Decimal(saved) and str(point.amount) == saved


@pytest.mark.parametrize(
    "typed, reason",
    [
        ("1,500", "could be read as 1.500 or as 1500"),
        ("0", "more than 0"),
        ("4 mL", "dosed in units"),
        ("1e3", "exponent"),
        ("", "type an amount"),
    ],
)
def test_a_pen_amount_that_is_not_a_sure_dose_places_nothing_and_says_why(qtbot, demo_db, typed, reason):
    editor = open_editor(qtbot, demo_db)
    line = editor.pen_panel.amount.line
    type_into(qtbot, line, typed) if typed else line.clear() or line.textEdited.emit("")
    assert editor.pen is None
    if typed:
        assert reason in editor.pen_panel.amount.message.text()
    click(qtbot, editor, *GLABELLA)
    assert list(editor.document.charted()) == []
    assert reason in editor.statusBar().currentMessage()
    type_into(qtbot, line, "4")
    click(qtbot, editor, *GLABELLA)
    assert [p.amount for p in editor.document.charted()] == [Decimal(4)]


def test_the_pen_says_what_it_understood(qtbot, demo_db):
    editor = open_editor(qtbot, demo_db)
    type_into(qtbot, editor.pen_panel.amount.line, "2,5")
    assert editor.pen_panel.amount.message.text() == "recorded as 2.5 U"
    type_into(qtbot, editor.pen_panel.amount.line, "2.5")
    assert editor.pen_panel.amount.message.isHidden()


# What an injector might type: digits, one or two marks, a unit, stray letters and signs.
typed_doses = st.text(alphabet=st.sampled_from("0123456789.,  uUmLe-"), min_size=1, max_size=8)


@pytest.mark.parametrize("name", TEST_LOCALES)
def test_pen_and_inspector_answer_as_the_parser_does(qtbot, demo_db, name):
    """The window is never more lenient, nor stricter, than the one parser, on any locale."""
    with qt_and_python_locale(name):
        editor = open_editor(qtbot, demo_db)
        click(qtbot, editor, *GLABELLA)
        [(uid, _)] = editor.document.items()

        @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(typed=typed_doses)
        @example(typed="4U").via("an echo, not a refusal")
        @example(typed="04")
        @example(typed="1,500")
        @example(typed="0,05")
        def typed_in_both(typed):
            try:
                expected = parse_amount(typed, DoseUnit.UNITS)
            except ValidationError:
                expected = None
            type_into(qtbot, editor.pen_panel.amount.line, typed)
            assert (editor.pen.amount if editor.pen else None) == expected
            before = editor.document.point(uid).amount
            editor.scene.select_uids([uid])
            type_into(qtbot, editor.inspector.amount.line, typed)
            qtbot.keyClick(editor.inspector.amount.line, Qt.Key.Key_Return)
            assert editor.document.point(uid).amount == (before if expected is None else expected)
            message = editor.inspector.amount.message  # a refusal in red; "recorded as 4 U" is not one
            refused = message.isVisible() and message.styleSheet() == REFUSED_STYLE
            assert refused == (expected is None and bool(typed.strip()))

        typed_in_both()


def test_the_inspector_reads_a_comma_as_the_decimal_mark(qtbot, demo_db):
    editor = open_editor(qtbot, demo_db)
    choose_filler(qtbot, editor)
    click(qtbot, editor, *CHEEK)
    editor.scene.select_uids([uid for uid, _ in editor.document.items()])
    type_into(qtbot, editor.inspector.amount.line, "0,15")
    qtbot.keyClick(editor.inspector.amount.line, Qt.Key.Key_Return)
    [point] = save(qtbot, editor).points
    assert point.amount == Decimal("0.15")


def test_one_amount_for_toxin_and_filler_points_together_is_refused(qtbot, demo_db):
    editor = open_editor(qtbot, demo_db)
    click(qtbot, editor, *GLABELLA)
    choose_filler(qtbot, editor)
    click(qtbot, editor, *CHEEK)
    editor.scene.select_uids([uid for uid, _ in editor.document.items()])
    type_into(qtbot, editor.inspector.amount.line, "2")
    qtbot.keyClick(editor.inspector.amount.line, Qt.Key.Key_Return)
    assert sorted(str(p.amount) for p in editor.document.charted()) == ["0.1", "4"]
    assert "different units" in editor.inspector.amount.message.text()


# ------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    "name, typed",
    [
        ("C", "2027-08-31"),
        ("en_US.UTF-8", "8/31/27"),
        ("en_US.UTF-8", "2027-08-31"),
        ("de_DE.UTF-8", "31.08.27"),
        ("de_DE.UTF-8", "31.08.2027"),
        ("fr_FR.UTF-8", "31/08/2027"),
        ("fr_FR.UTF-8", "2027-08"),  # a box printed "EXP 2027-08": the month's last day
    ],
)
def test_a_new_lots_expiry_is_typed_in_iso_or_the_locales_format(qtbot, demo_db, name, typed):
    with qt_and_python_locale(name):
        editor = open_editor(qtbot, demo_db)
        panel = editor.pen_panel
        panel.lot.setCurrentIndex(panel.lot.findText(NEW_LOT))
        type_into(qtbot, panel.new_lot_number, "C9999X")
        type_into(qtbot, panel.new_lot_expiry.line, typed)
        assert (editor.pen.lot_number, editor.pen.lot_expiry) == ("C9999X", date(2027, 8, 31))
        echo = panel.new_lot_expiry.message  # the day understood, unless typed as ISO already
        assert ("2027" in echo.text() and echo.isVisible()) if typed != "2027-08-31" else echo.isHidden()
        click(qtbot, editor, *GLABELLA)
        [point] = save(qtbot, editor).points
    assert (point.lot_number, point.lot_expiry) == ("C9999X", date(2027, 8, 31))


def test_a_new_lots_expiry_is_never_guessed_and_its_calendar_opens_next_year(qtbot, demo_db):
    editor = open_editor(qtbot, demo_db)
    panel = editor.pen_panel
    panel.lot.setCurrentIndex(panel.lot.findText(NEW_LOT))
    type_into(qtbot, panel.new_lot_number, "C9999X")
    assert panel.new_lot_expiry.line.text() == "" and editor.pen.lot_expiry is None
    panel.new_lot_expiry.prepare_calendar()
    assert panel.new_lot_expiry.calendar.yearShown() == date.today().year + 1
    type_into(qtbot, panel.new_lot_expiry.line, "2027-02-30")
    assert editor.pen is None and "February 2027 has 28 days" in panel.new_lot_expiry.message.text()
    click(qtbot, editor, *GLABELLA)
    assert list(editor.document.charted()) == [] and "expiry" in editor.statusBar().currentMessage()


def new_patient_dialog(qtbot, db, chart_number="A-0100") -> PatientDialog:
    dialog = PatientDialog(db, None, chart_number)
    qtbot.addWidget(dialog)
    dialog.given_name.setText("Zoë")
    dialog.family_name.setText("Ångström")
    return dialog


@pytest.mark.parametrize(
    "name, typed, born",
    [
        ("C", "1988-07-23", date(1988, 7, 23)),
        ("C", "1975-03-14", date(1975, 3, 14)),
        ("en_US.UTF-8", "7/23/88", date(1988, 7, 23)),
        ("en_US.UTF-8", "3/14/1975", date(1975, 3, 14)),
        ("de_DE.UTF-8", "23.07.1988", date(1988, 7, 23)),
        ("de_DE.UTF-8", "14.03.75", date(1975, 3, 14)),
        ("fr_FR.UTF-8", "23/07/1988", date(1988, 7, 23)),
        ("fr_FR.UTF-8", "1975-03-14", date(1975, 3, 14)),
    ],
)
def test_a_birth_date_typed_after_tab_is_saved_as_typed(qtbot, db, name, typed, born):
    with qt_and_python_locale(name):
        dialog = new_patient_dialog(qtbot, db)
        dialog.family_name.setFocus()
        qtbot.keyClick(dialog.family_name, Qt.Key.Key_Tab)  # the form's own order: into the date
        qtbot.keyClicks(dialog.focusWidget(), typed)
        assert dialog.focusWidget() is dialog.born.line
        dialog.save()
    assert dialog.saved is not None, dialog.error.text()
    assert search_patients(db, "A-0100")[0].date_of_birth == born


def test_a_birth_date_is_never_invented(qtbot, db):
    dialog = new_patient_dialog(qtbot, db)
    assert dialog.born.line.text() == ""
    dialog.save()
    assert dialog.saved is None and "type the date of birth" in dialog.error.text()
    type_into(qtbot, dialog.born.line, "1988-13-01")
    dialog.save()
    assert dialog.saved is None and "there is no month 13" in dialog.error.text()
    assert search_patients(db, "A-0100") == []
    dialog.born_unknown.setChecked(True)
    dialog.save()
    assert search_patients(db, "A-0100")[0].date_of_birth is None


def test_the_visit_day_is_typed_and_its_calendar_opens_today(qtbot, demo_db):
    editor = open_editor(qtbot, demo_db)
    day = editor.started.day
    day.line.clear()
    day.prepare_calendar()
    today = date.today()
    assert (day.calendar.yearShown(), day.calendar.monthShown()) == (today.year, today.month)
    click(qtbot, editor, *GLABELLA)
    editor.save_action.trigger()
    assert "Not saved: the visit's date" in editor.statusBar().currentMessage()
    type_into(qtbot, day.line, "2026-11-30")
    editor.started.time.setTime(editor.started.time.time().fromString("09:30", "HH:mm"))
    visit = save(qtbot, editor)
    local = visit.started_at.astimezone(demo_db.timezone)
    assert (local.date(), local.hour, local.minute) == (date(2026, 11, 30), 9, 30)
    assert isinstance(visit.started_at, datetime) and visit.started_at.tzinfo is not None
