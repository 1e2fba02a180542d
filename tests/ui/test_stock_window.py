"""The Stock window: deliveries typed or scanned, on hand per lot, and its warnings."""

from __future__ import annotations

from datetime import date, timedelta

from app.services.stock import map_barcode, stock_on_hand
from ui.stock_window import StockWindow
from ui.tasks import TaskRunner

GTIN = "09506000134352"


def window(qtbot, db, may_receive=True) -> StockWindow:
    shown = StockWindow(db, ["Botox Cosmetic", "Dysport"], tasks=TaskRunner(), may_receive=may_receive)
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
    mix_vial(demo_db, "Botox Cosmetic", "V100", mixed_at=datetime.now(UTC) - timedelta(minutes=10))
    editor = open_editor(qtbot, demo_db)
    qtbot.waitUntil(lambda: bool(editor.inspector.vials))
    from models.records import ChartedPoint
    from models.vocabulary import DoseUnit, View

    point = ChartedPoint(
        View.FRONT, 0.5, 0.37, "glabella", "Botox Cosmetic", DoseUnit.UNITS, Decimal("4"), 1, "V100"
    )
    editor.inspector.show_points([point])
    assert editor.inspector.volume.isVisibleTo(editor.inspector)
    assert editor.inspector.volume.text() == "4 U = 0.1 mL = 10 units on a U-100 insulin syringe"
    other = ChartedPoint(
        View.FRONT, 0.5, 0.37, "glabella", "Botox Cosmetic", DoseUnit.UNITS, Decimal("4"), 1, "C9"
    )
    editor.inspector.show_points([other])  # a lot with no vial in use: nothing to say
    assert not editor.inspector.volume.isVisibleTo(editor.inspector)
