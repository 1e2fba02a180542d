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
