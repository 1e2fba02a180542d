"""The due list window and the recall settings dialog over a real demo clinic."""

from datetime import datetime

from app.services.catalogue import list_products
from app.services.providers import list_providers
from app.services.recall import due_page, load_recall_settings
from models.recall import DueStatus
from tests.conftest import snapshot
from ui.due_window import DueWindow
from ui.recall_settings import RecallSettingsDialog


def open_due_window(qtbot, db) -> DueWindow:
    window = DueWindow(db, list_providers(db))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.tasks.is_idle() and window.model.rowCount() > 0)
    return window


def test_due_window_lists_and_filters(qtbot, demo_db):
    window = open_due_window(qtbot, demo_db)
    today = datetime.now(demo_db.timezone).date()
    expected = due_page(demo_db, today, 14)
    assert window.model.rowCount() == len(expected.rows)
    assert f"{expected.counts.get(DueStatus.OVERDUE, 0)} overdue" in window.counts.text().replace(
        "<b>", ""
    ).replace("</b>", "")
    for status, box in window.status_boxes.items():
        box.setChecked(status is DueStatus.OVERDUE)
    qtbot.waitUntil(
        lambda: (
            window.tasks.is_idle()
            and all(
                window.model.record(r).item.status is DueStatus.OVERDUE
                for r in range(window.model.rowCount())
            )
        )
    )
    window.kind.setCurrentIndex(window.kind.findData("filler"))
    qtbot.waitUntil(lambda: window.tasks.is_idle())
    products = {p.name: p.kind for p in list_products(demo_db.factory)}
    assert all(
        products[window.model.record(r).item.product_name] == "filler" for r in range(window.model.rowCount())
    )
    with qtbot.waitSignal(window.patient_wanted) as wanted:
        if window.model.rowCount():
            window._open_patient(window.model.index(0, 0))
        else:
            window.patient_wanted.emit("none")
    assert wanted.args


def test_recall_settings_dialog_saves(qtbot, demo_db):
    dialog = RecallSettingsDialog(demo_db, list_products(demo_db.factory))
    qtbot.addWidget(dialog)
    dialog.lead.setValue(21)
    dialog.review_on.setChecked(False)
    _product, low, high = next(s for s in dialog.spins if s[0].name == "Daxxify")
    botox = next(s for s in dialog.spins if s[0].name == "Botox Cosmetic")
    botox[1].setValue(100)
    before = snapshot(demo_db)
    low.setValue(200)
    high.setValue(150)  # backwards: refused, nothing closes, nothing at all is stored
    dialog.save()
    qtbot.waitUntil(lambda: dialog.tasks.is_idle())
    assert "first end before the second" in dialog.error.text() and dialog.result() == 0
    assert snapshot(demo_db) == before and dialog.buttons.isEnabled()
    high.setValue(240)
    with qtbot.waitSignal(dialog.accepted):
        dialog.save()
    settings = load_recall_settings(demo_db)
    assert settings.lead_days == 21 and settings.review_days is None
    daxxify = next(p for p in list_products(demo_db.factory) if p.name == "Daxxify")
    assert (daxxify.interval_min_days, daxxify.interval_max_days) == (200, 240)
    botox = next(p for p in list_products(demo_db.factory) if p.name == "Botox Cosmetic")
    assert botox.interval_min_days == 100
