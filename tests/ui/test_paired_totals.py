"""Left against right per paired area wherever totals are shown: the editor's legend and
tabs, the patient page, the chart image and the PDF records. 1 U to the right LLSAN and
25 U to the left masseter is two one-sided treatments, never "24 U more left"."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter

import ui.chart_image
from app.exports.records import history_pdf, visit_record_pdf
from app.services.visits import create_visit, get_visit, replace_points
from models.regions import front_anchor
from models.vocabulary import View
from tests.app.test_records import text_of
from tests.conftest import at, botox_point
from tests.ui.test_main_window import open_window
from tests.ui.test_visit_editor import click, open_editor
from ui.chart_image import render_visit


def rows_of(model) -> list[list[str]]:
    return [
        [model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole) for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


@pytest.fixture
def one_sided_visit(db, patient, provider):
    """The issue's chart: masseter left 25 U, LLSAN right 1 U."""
    visit = create_visit(db, patient.id, provider.id, at(2026, 5, 4))
    x, y = front_anchor("masseter_l")
    lx, ly = front_anchor("llsan_r")
    replace_points(
        db,
        visit.id,
        visit.version,
        [botox_point("masseter_l", "25", x=x, y=y), botox_point("llsan_r", "1", x=lx, y=ly)],
    )
    return get_visit(db, visit.id)


def test_the_editor_pairs_left_with_right_per_area_and_per_region(qtbot, qtmodeltester, demo_db):
    editor = open_editor(qtbot, demo_db)  # the pen places 4 U of Botox Cosmetic
    click(qtbot, editor, *front_anchor("masseter_l"))
    click(qtbot, editor, *front_anchor("llsan_r"))
    legend = editor.legend.text()
    assert "Masseters: left 4 U, right 0 U, 4 U more left" in legend
    assert "Gummy smile (LLSAN): left 0 U, right 4 U, 4 U more right" in legend
    assert "even" not in legend  # the whole face (4 U left, 4 U right) is no balance to report
    by_area = rows_of(editor.totals.side_model)
    assert by_area == [
        ["Gummy smile (LLSAN)", "Botox Cosmetic", "0 U", "4 U", "0 U", "4 U more right"],
        ["Masseters", "Botox Cosmetic", "4 U", "0 U", "0 U", "4 U more left"],
    ]
    assert [editor.totals.region_model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)] == [
        "Region",
        "Product",
        "Left",
    ]
    assert rows_of(editor.totals.region_model) == [
        ["LLSAN (gummy smile)", "Botox Cosmetic", "0 U", "4 U", "0 U", "4 U more right"],
        ["Masseter", "Botox Cosmetic", "4 U", "0 U", "0 U", "4 U more left"],
    ]
    click(qtbot, editor, *front_anchor("chin"))
    assert ["Chin", "Botox Cosmetic", "—", "—", "4 U", "—"] in rows_of(editor.totals.side_model)
    for model in (editor.totals.side_model, editor.totals.region_model):
        qtmodeltester.check(model)


def test_the_patient_page_shows_left_against_right_per_area(qtbot, qtmodeltester, db, one_sided_visit):
    window = open_window(qtbot, db)
    qtbot.waitUntil(lambda: window.side_model.rowCount() == 2 and window.tasks.is_idle())
    assert rows_of(window.side_model) == [
        ["Gummy smile (LLSAN)", "Botox Cosmetic", "0 U", "1 U", "0 U", "1 U more right"],
        ["Masseters", "Botox Cosmetic", "25 U", "0 U", "0 U", "25 U more left"],
    ]
    qtmodeltester.check(window.side_model)


def test_the_chart_image_legend_pairs_per_area(qapp, db, one_sided_visit, monkeypatch):
    drawn: list[str] = []

    class RecordingPainter(QPainter):
        def drawText(self, *args):
            drawn.append(args[-1])
            return super().drawText(*args)

    monkeypatch.setattr(ui.chart_image, "QPainter", RecordingPainter)
    render_visit(db, one_sided_visit.id, View.FRONT)
    [legend] = [text for text in drawn if text.startswith("Botox Cosmetic")]
    assert legend == (
        "Botox Cosmetic: 26 U in 2 aliquots — Gummy smile (LLSAN): left 0 U, right 1 U,"
        " 1 U more right; Masseters: left 25 U, right 0 U, 25 U more left"
    )


def test_the_records_print_left_against_right_per_area(db, one_sided_visit):
    record = " ".join(text_of(visit_record_pdf(db, one_sided_visit.id)))
    assert "Left against right, per area" in record
    assert "Masseters Botox Cosmetic 25 U 0 U 0 U 25 U more left" in record
    assert "Gummy smile (LLSAN) Botox Cosmetic 0 U 1 U 0 U 1 U more right" in record
    assert "24 U" not in record
    history = " ".join(text_of(history_pdf(db, "A-0001")))
    assert "Masseters, Botox Cosmetic: left 25 U, right 0 U, 25 U more left" in history
    assert "Gummy smile (LLSAN), Botox Cosmetic: left 0 U, right 1 U, 1 U more right" in history
    assert "24 U" not in history
