"""The due list window and the recall settings dialog over a real demo clinic."""

from datetime import datetime

import pytest
from PySide6.QtCore import Qt

from app.services.catalogue import list_products
from app.services.changes import Changes
from app.services.providers import list_providers
from app.services.recall import due_page, load_recall_settings, save_recall_changes
from models.recall import DueStatus
from tests.conftest import snapshot
from tests.ui.conftest import signed_in_as
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
    window.kind.setCurrentIndex(0)  # every product again: rows to open
    qtbot.waitUntil(lambda: window.tasks.is_idle() and window.model.rowCount() > 0)
    chart = window.model.record(0).chart_number
    with qtbot.waitSignal(window.patient_wanted) as wanted:
        double_click_row(qtbot, window.table, 0)
    assert wanted.args == [chart]


def double_click_row(qtbot, table, row: int) -> None:
    """As the user opens a row: a double-click on its cell."""
    where = table.visualRect(table.model().index(row, 1)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)  # Qt 6 wants the press first
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=where)


@pytest.mark.qt_log_ignore("does not support raise")  # offscreen: no window to bring forward
def test_the_due_list_opens_the_patient_in_the_main_window_and_follows_changes(qtbot, demo_db):
    """The due list shares the main window's task runner: a double-click shows the patient
    there, and a change announced on the runner redraws the list."""
    from ui.actions import MainAction
    from ui.main_window import MainWindow

    main = MainWindow(demo_db)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: main.patient_model.rowCount() > 0 and main.tasks.is_idle())
    main.actions[MainAction.DUE_LIST].trigger()
    qtbot.waitUntil(lambda: main.due_window is not None and main.tasks.is_idle())
    due = main.due_window
    assert due.tasks is main.tasks
    qtbot.waitUntil(lambda: due.model.rowCount() > 0)
    chart = due.model.record(due.model.rowCount() - 1).chart_number
    double_click_row(qtbot, due.table, due.model.rowCount() - 1)
    qtbot.waitUntil(lambda: main.tasks.is_idle() and main.current_patient is not None)
    assert main.search.text() == chart and main.current_patient.chart_number == chart

    # A shorter interval stored, then announced: the due list redraws from the signal alone.
    today = datetime.now(demo_db.timezone).date()
    before = due_page(demo_db, today, due.within.value())
    signed_in_as(demo_db, "admin")  # recall settings are the admin's
    save_recall_changes(demo_db, {"Botox Cosmetic": (20, 30)}, load_recall_settings(demo_db))
    after = due_page(demo_db, today, due.within.value())
    assert after.total != before.total
    main.tasks.announce(Changes(recall_rules=True))
    qtbot.waitUntil(lambda: main.tasks.is_idle() and due.page is not None and due.page.total == after.total)
    assert due.model.rowCount() == len(after.rows)


def test_recall_settings_dialog_saves(qtbot, demo_db):
    signed_in_as(demo_db, "admin")  # recall settings are the admin's
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
