"""A new lot's vial size is chosen in the pen, saved with the lot, and the totals count
the vials of that size ("0.8 of a 50 U vial", not 0.4 of the usual 100 U one)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from PySide6.QtCore import Qt
from sqlalchemy import select

from app.services.catalogue import list_products
from models.chart import Pen
from models.regions import front_anchor
from models.tables import Lot
from models.vocabulary import DoseUnit, View
from tests.ui.test_typed_entry import save, type_into
from tests.ui.test_visit_editor import click, open_editor
from ui.pen_panel import NEW_LOT
from ui.totals_panel import TotalsPanel

USES = 3  # the "Uses" column of the per-product totals


def uses_cell(panel: TotalsPanel, row: int = 0) -> str:
    return panel.product_model.data(panel.product_model.index(row, USES))


def test_the_totals_panel_counts_each_lot_at_its_own_size(qtbot, demo_db):
    panel = TotalsPanel({p.name: p for p in list_products(demo_db.factory)})
    qtbot.addWidget(panel)
    pen = Pen(
        "Botox Cosmetic",
        DoseUnit.UNITS,
        Decimal(40),
        lot_number="S50",
        lot_expiry=date(2030, 1, 31),
        lot_package_size=Decimal(50),
    )
    from_50 = pen.point_at(View.FRONT, 0.5, 0.37, "procerus")
    panel.show_chart([from_50], date(2026, 12, 2))
    assert uses_cell(panel) == "0.8 of a 50 U vial"
    from_100 = replace(from_50, lot_number="S100", lot_package_size=Decimal(100))
    panel.show_chart([from_100], date(2026, 12, 2))
    assert uses_cell(panel) == "0.4 of a 100 U vial"
    panel.show_chart([from_50, replace(from_100, amount=Decimal(40))], date(2026, 12, 2))
    assert uses_cell(panel) == "1.2 vials (50 U and 100 U)"


def test_the_pen_registers_a_new_lot_in_the_vial_size_chosen(qtbot, demo_db):
    editor = open_editor(qtbot, demo_db)
    panel = editor.pen_panel
    assert editor.pen.product_name == "Botox Cosmetic"
    sizes = [panel.new_lot_size.itemText(i) for i in range(panel.new_lot_size.count())]
    assert sizes == ["50 U vial", "100 U vial"] and panel.new_lot_size.currentText() == "100 U vial"
    assert not panel.new_lot_size.isEnabled()  # a registered lot keeps its own size
    panel.lot.setCurrentIndex(panel.lot.findText(NEW_LOT))
    assert panel.new_lot_size.isEnabled()
    type_into(qtbot, panel.new_lot_number, "C5050")
    type_into(qtbot, panel.new_lot_expiry.line, "2030-01-31")
    panel.new_lot_size.setCurrentIndex(panel.new_lot_size.findText("50 U vial"))
    assert editor.pen.lot_package_size == Decimal(50)
    click(qtbot, editor, *front_anchor("procerus"))
    assert uses_cell(editor.totals) == "0.08 of a 50 U vial"  # 4 U of a 50 U vial
    [point] = save(qtbot, editor).points
    assert (point.lot_number, point.lot_package_size) == ("C5050", Decimal(50))
    with demo_db.factory() as session:
        assert session.scalar(select(Lot.package_size).where(Lot.number == "C5050")) == Decimal(50)


def test_a_box_scanned_into_the_new_lot_field_gives_its_lot_and_expiry(qtbot, demo_db):
    editor = open_editor(qtbot, demo_db)
    panel = editor.pen_panel
    panel.lot.setCurrentIndex(panel.lot.findText(NEW_LOT))
    # A keyboard-wedge scanner types the DataMatrix (with its symbology prefix) and Enter.
    type_into(qtbot, panel.new_lot_number, "]d201095060001343521730123110SC-77")
    assert editor.pen is None and "Press Enter after the scan" in (panel.refusal or "")
    qtbot.keyClick(panel.new_lot_number, Qt.Key.Key_Return)
    assert panel.new_lot_number.text() == "SC-77"
    assert panel.new_lot_expiry.date() == date(2030, 12, 31)
    assert (editor.pen.lot_number, editor.pen.lot_expiry) == ("SC-77", date(2030, 12, 31))

    panel.new_lot_number.clear()
    type_into(qtbot, panel.new_lot_number, "0109506000134353173012311099")  # a wrong check digit
    qtbot.keyClick(panel.new_lot_number, Qt.Key.Key_Return)
    assert editor.pen is None
    assert panel.refusal.startswith("The scanned box could not be read: the scan '0109506000134353")
    assert panel.refusal.endswith("got 3.")
    assert "Invalid GTIN check digit" in panel.refusal


def test_a_scanned_box_of_another_product_is_refused_in_the_pen(qtbot, demo_db):
    from app.services.stock import map_barcode

    map_barcode(demo_db, "09506000134352", "Dysport")  # the clinic's mapping of this box
    editor = open_editor(qtbot, demo_db)
    qtbot.waitUntil(lambda: bool(editor.pen_panel.barcodes))
    panel = editor.pen_panel
    assert editor.pen.product_name == "Botox Cosmetic"
    panel.lot.setCurrentIndex(panel.lot.findText(NEW_LOT))
    type_into(qtbot, panel.new_lot_number, "0109506000134352173012311077")
    qtbot.keyClick(panel.new_lot_number, Qt.Key.Key_Return)
    assert editor.pen is None
    assert panel.refusal == "The scanned box is Dysport, not Botox Cosmetic: scan a box of Botox Cosmetic."
    assert panel.new_lot_number.text() == "0109506000134352173012311077", "nothing filled from another box"
