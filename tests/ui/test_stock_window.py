"""The Stock window: deliveries typed or scanned, on hand per lot, and its warnings."""

from __future__ import annotations

from datetime import date, timedelta

from app.services.stock import map_barcode, stock_on_hand
from ui.stock_window import StockWindow
from ui.tasks import TaskRunner

GTIN = "09506000134352"


def window(qtbot, db, may_receive=True) -> StockWindow:
    from app.services.catalogue import list_products

    products = [
        p for p in list_products(db.factory) if p.name in ("Botox Cosmetic", "Dysport", "Juvéderm Voluma XC")
    ]
    shown = StockWindow(db, products, tasks=TaskRunner(), may_receive=may_receive)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitUntil(lambda: shown.tasks.is_idle())
    return shown


def receive(qtbot, shown, **typed) -> None:
    for field, text in typed.items():
        getattr(shown, field).setText(text)
    shown.receive_button.click()
    qtbot.waitUntil(lambda: shown.tasks.is_idle() and shown.receive_button.isEnabled())
    qtbot.waitUntil(lambda: shown.tasks.is_idle())


def test_a_typed_delivery_is_received_and_listed_with_its_expiry_warning(qtbot, demo_db):
    shown = window(qtbot, demo_db)
    soon = (date.today() + timedelta(days=12)).isoformat()
    shown.product.setCurrentIndex(shown.product.findData("Botox Cosmetic"))
    shown.quantity.setValue(3)
    receive(qtbot, shown, lot="W100", expiry=soon, package="100")
    assert shown.message.text() == "Received 3 × Botox Cosmetic lot W100: 300 U"
    [lot] = [s for s in stock_on_hand(demo_db).lots if s.lot == "W100"]
    assert lot.on_hand == 300
    rows = [shown.model.data(shown.model.index(r, 1)) for r in range(shown.model.rowCount())]
    assert "W100" in rows
    qtbot.waitUntil(lambda: "W100 expires on" in shown.warnings.text())
    assert shown.warnings.isVisible() and "in 12 days" in shown.warnings.text()


def test_a_scanned_box_is_refused_until_its_gtin_is_mapped(qtbot, demo_db):
    shown = window(qtbot, demo_db)
    scan = f"]d201{GTIN}17301231" + "10SC1"
    receive(qtbot, shown, lot=scan)
    assert shown.message.text().startswith(f"Not received: the box's GTIN {GTIN} is not mapped")
    map_barcode(demo_db, GTIN, "Dysport")
    receive(qtbot, shown, lot=scan, package="300")
    assert shown.message.text() == "Received 1 × Dysport lot SC1: 300 U"


def test_who_may_not_receive_cannot(qtbot, demo_db):
    assert not window(qtbot, demo_db, may_receive=False).receive_button.isEnabled()


def test_the_inspector_says_a_toxin_dose_s_volume_from_the_vial_in_use(qtbot, demo_db):
    from datetime import UTC, datetime
    from decimal import Decimal

    from app.services.packages import mix_vial
    from app.services.stock import receive_stock
    from tests.ui.test_visit_editor import open_editor

    receive_stock(demo_db, "Botox Cosmetic", "V100", date(2030, 12, 31), 1, Decimal("100"))
    vial = mix_vial(demo_db, "Botox Cosmetic", "V100", mixed_at=datetime.now(UTC) - timedelta(minutes=10))
    editor = open_editor(qtbot, demo_db)
    qtbot.waitUntil(lambda: bool(editor.inspector.packages))
    from models.records import ChartedPoint
    from models.vocabulary import DoseUnit, View

    point = ChartedPoint(
        View.FRONT, 0.5, 0.37, "glabella", "Botox Cosmetic", DoseUnit.UNITS, Decimal("4"), 1, "V100"
    )
    editor.inspector.show_points([point])
    assert editor.inspector.volume.isVisibleTo(editor.inspector)
    assert editor.inspector.volume.text() == (
        f"4 U = 0.1 mL = 10 units on a U-100 insulin syringe, from vial {vial.id} (4 U per 0.1 mL)\n"
        f"From vial {vial.id}: 100 U left of 100 U (as last saved)"
    )
    other = ChartedPoint(
        View.FRONT, 0.5, 0.37, "glabella", "Botox Cosmetic", DoseUnit.UNITS, Decimal("4"), 1, "C9"
    )
    editor.inspector.show_points([other])  # a lot with no vial in use: nothing to say
    assert not editor.inspector.volume.isVisibleTo(editor.inspector)


def test_saving_draws_the_points_from_the_open_vial_and_the_inspector_says_what_is_left(qtbot, demo_db):
    from datetime import UTC, datetime

    from app.services.packages import mix_vial, open_packages
    from tests.ui.test_visit_editor import click, front_anchor, new_visit_editor, search_patients

    patient = search_patients(demo_db)[0]
    probe = new_visit_editor(qtbot, demo_db, patient, False)
    qtbot.waitUntil(
        lambda: probe.pen is not None and probe.pen.lot_number is not None and probe.tasks.is_idle()
    )
    lot = probe.pen.lot_number  # the lot the pen chooses: the in-date one expiring first
    probe.close()
    vial = mix_vial(demo_db, "Botox Cosmetic", lot, mixed_at=datetime.now(UTC) - timedelta(minutes=10))
    editor = new_visit_editor(qtbot, demo_db, patient, False)
    qtbot.waitUntil(
        lambda: editor.pen is not None and editor.tasks.is_idle() and bool(editor.inspector.packages)
    )
    click(qtbot, editor, *front_anchor("glabella"))
    click(qtbot, editor, *front_anchor("chin"))
    editor.save_action.trigger()
    qtbot.waitUntil(lambda: not editor.is_modified() and editor.tasks.is_idle())
    [opened] = [p for p in open_packages(demo_db) if p.id == vial.id]
    assert opened.left == vial.size - 8
    qtbot.waitUntil(lambda: editor.inspector.packages[("Botox Cosmetic", lot)][0].left == vial.size - 8)
    click(qtbot, editor, *front_anchor("glabella"))  # selects the saved point
    qtbot.waitUntil(lambda: editor.inspector.volume.isVisibleTo(editor.inspector))
    assert f"From vial {vial.id}: {vial.size - 8} U left of {vial.size} U" in editor.inspector.volume.text()


def test_a_vial_mixed_and_a_syringe_opened_in_the_window_then_finished(qtbot, demo_db):
    from decimal import Decimal

    from app.services.packages import open_packages
    from app.services.stock import receive_stock

    receive_stock(demo_db, "Botox Cosmetic", "MX1", date(2030, 12, 31), 1, Decimal("100"))
    receive_stock(demo_db, "Juvéderm Voluma XC", "VS1", date(2030, 12, 31), 2, Decimal("1"))
    shown = window(qtbot, demo_db)
    shown.tabs.setCurrentIndex(1)

    def open_one(product: str, lot: str, size: str = "", diluent: str = "") -> None:
        shown.open_product.setCurrentIndex(shown.open_product.findData(product))
        shown.open_lot.setText(lot)
        shown.open_size.setText(size)
        shown.open_diluent.setText(diluent)
        shown.open_button.click()
        qtbot.waitUntil(lambda: shown.tasks.is_idle())

    shown.open_product.setCurrentIndex(shown.open_product.findData("Botox Cosmetic"))
    assert shown.open_button.text() == "Mix vial" and shown.open_diluent.isVisibleTo(shown)
    open_one("Botox Cosmetic", "MX1", diluent="2,5")  # a comma is a decimal mark too
    assert shown.package_message.text().endswith(
        "100 U in 2.5 mL 0.9% sodium chloride, preservative-free = 4 U per 0.1 mL"
    )
    open_one("Botox Cosmetic", "MX1", size="100", diluent="2.5.0")
    assert shown.package_message.text().startswith("Not done: “2.5.0” has more than one decimal mark")
    shown.open_product.setCurrentIndex(shown.open_product.findData("Juvéderm Voluma XC"))
    assert shown.open_button.text() == "Open syringe" and not shown.open_diluent.isVisibleTo(shown)
    open_one("Juvéderm Voluma XC", "VS1", size="1")
    qtbot.waitUntil(lambda: shown.package_model.rowCount() == 2)
    names = [shown.package_model.data(shown.package_model.index(r, 0)) for r in range(2)]
    [syringe] = [p for p in open_packages(demo_db) if p.name.startswith("syringe")]
    assert names == [syringe.name, f"vial {syringe.id - 1}"]
    assert shown.package_model.data(shown.package_model.index(0, 3)) == "1 mL of 1 mL"
    assert not shown.wasted_button.isEnabled()
    shown.package_table.selectRow(0)
    shown.wasted_button.click()
    qtbot.waitUntil(lambda: shown.tasks.is_idle() and shown.package_model.rowCount() == 1)
    assert shown.package_message.text() == f"{syringe.name.capitalize()} finished (wasted): 1 mL wasted"
    [lot] = [s for s in stock_on_hand(demo_db).lots if s.lot == "VS1"]
    assert (lot.wasted, lot.on_hand) == (1, 1)


def test_a_chosen_lot_is_written_off_and_its_product_given_a_threshold(qtbot, demo_db):
    from decimal import Decimal

    from app.services.stock import receive_stock

    receive_stock(demo_db, "Dysport", "DY1", date(2030, 12, 31), 2, Decimal("300"))
    shown = window(qtbot, demo_db)
    assert not shown.write_off_button.isEnabled()
    [row] = [r for r in range(shown.model.rowCount()) if shown.model.record(r).lot == "DY1"]
    shown.table.selectRow(row)
    assert shown.write_off_button.isEnabled()
    shown.write_off_amount.setText("4 mL")  # Dysport is dosed in its own units
    shown.write_off_button.click()
    assert shown.message.text().startswith("Not written off: Dysport is dosed in units (U), not mL")
    shown.write_off_amount.setText("150,5")
    shown.write_off_reason.setCurrentIndex(shown.write_off_reason.findData("broken"))
    shown.write_off_notes.setText("vial dropped")
    shown.write_off_button.click()
    qtbot.waitUntil(lambda: shown.tasks.is_idle() and shown.message.text().startswith("Written off"))
    assert shown.message.text() == "Written off: 150.5 U of Dysport lot DY1"
    [lot] = [s for s in stock_on_hand(demo_db).lots if s.lot == "DY1"]
    assert (lot.written_off, lot.on_hand) == (Decimal("150.5"), Decimal("449.5"))
    [row] = [r for r in range(shown.model.rowCount()) if shown.model.record(r).lot == "DY1"]
    shown.table.selectRow(row)
    shown.threshold.setText("500")
    shown.threshold_button.click()
    qtbot.waitUntil(lambda: shown.tasks.is_idle() and "Dysport is low" in shown.warnings.text())
    assert "Dysport is low: 449.5 U on hand, below 500 U" in shown.warnings.text()
