"""A Daxxify patient's new visit: the pen starts on Daxxify and its lot, and Alt+1 charts
the glabella in Daxxify at Daxxify's dose (5 × 8 U), not Botox Cosmetic's."""

from datetime import timedelta
from decimal import Decimal

from PySide6.QtCore import Qt

from app.services.visits import get_visit
from tests.app.test_starting_pen import FAR, chart, register_lot, toxin
from tests.conftest import at


def new_visit_editor(qtbot, db):
    from ui.main_window import MainWindow

    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(
        lambda: window.current_patient is not None and bool(window.products) and window.tasks.is_idle()
    )
    qtbot.mouseClick(window.new_visit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(window.editors))
    editor = window.editors[0]
    qtbot.addWidget(editor)
    qtbot.waitUntil(lambda: editor.pen is not None and editor.tasks.is_idle())
    return editor


def test_a_daxxify_patients_glabella_template_charts_daxxify(qtbot, db, patient, provider):
    chart(db, patient, provider, at(2025, 3, 1), toxin("Botox Cosmetic", "B-1", FAR))
    chart(db, patient, provider, at(2025, 9, 1), toxin("Daxxify", "DX-1", FAR, "8"))
    register_lot(db, "Daxxify", "DX-0", FAR - timedelta(days=60))  # listed first (expires first), not chosen
    editor = new_visit_editor(qtbot, db)
    assert editor.pen_panel.product.currentText() == "Daxxify"
    assert (editor.pen.product_name, editor.pen.lot_number) == ("Daxxify", "DX-1")

    qtbot.keySequence(editor, "Alt+1")
    qtbot.keySequence(editor, "Ctrl+S")
    qtbot.waitUntil(lambda: not editor.is_modified() and editor.tasks.is_idle())

    saved = get_visit(db, editor.visit.id)
    assert [(p.product_name, p.amount, p.lot_number) for p in saved.points] == [
        ("Daxxify", Decimal(8), "DX-1")
    ] * 5


def test_a_patient_without_toxins_starts_on_the_catalogues_first_toxin(qtbot, db, patient, provider):
    editor = new_visit_editor(qtbot, db)
    assert editor.pen.product_name == "Botox Cosmetic"
