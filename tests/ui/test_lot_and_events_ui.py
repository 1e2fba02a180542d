"""The lot recall window and the adverse events window over a real demo clinic."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from app.services.adverse_events import list_adverse_events
from app.services.lots import RECALL_COLUMNS, lot_recall
from app.services.visits import list_visits
from models.gs1 import GROUP_SEPARATOR
from models.regions import REGIONS
from models.tables import InjectionPoint, Lot, Patient, Visit
from models.vocabulary import EventKind, LogEntryKind, Severity
from tests.ui.conftest import signed_in_as
from tests.ui.timers import ManualTimer
from ui.adverse_events_window import AdverseEventsWindow
from ui.lot_search import LotSearchWindow

GTIN = "09506000134352"  # GS1's own example GTIN (tests/models/test_gs1.py)


def busiest_lot(db) -> str:
    """The demo lot used most: a recall with several patients."""
    with db.factory() as session:
        return session.scalars(
            select(Lot.number)
            .join(InjectionPoint, InjectionPoint.lot_id == Lot.id)
            .group_by(Lot.id)
            .order_by(func.count(InjectionPoint.id).desc())
            .limit(1)
        ).one()


def open_lot_window(qtbot, db) -> LotSearchWindow:
    window = LotSearchWindow(db, [])
    qtbot.addWidget(window)
    window.show()
    return window


def search(qtbot, window: LotSearchWindow, typed: str) -> None:
    window.lot.setText(typed)
    window.search_button.click()
    qtbot.waitUntil(lambda: window.tasks.is_idle() and window.search_button.isEnabled())


def test_lot_search_lists_the_recall_and_exports_a_csv_that_reads_back(qtbot, demo_db, tmp_path, monkeypatch):
    lot = busiest_lot(demo_db)
    expected = lot_recall(demo_db, lot)
    window = open_lot_window(qtbot, demo_db)
    search(qtbot, window, lot)
    assert [window.model.record(r) for r in range(window.model.rowCount())] == expected
    patients = len({u.chart_number for u in expected})
    assert window.summary.text() == f"Lot {lot}: {len(expected)} injections, {patients} patients"

    target = tmp_path / "recall.csv"
    monkeypatch.setattr(LotSearchWindow, "ask_save_path", classmethod(lambda cls, parent, name: target))
    window.export_button.click()
    qtbot.waitUntil(lambda: target.exists() and window.tasks.is_idle())
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows[0] == RECALL_COLUMNS
    assert [(r[0], int(r[3]), r[7], r[9]) for r in rows[1:]] == [
        (u.chart_number, u.visit_id, u.lot, u.region_code) for u in expected
    ]
    assert [Decimal(r[10]) for r in rows[1:]] == [u.amount for u in expected]
    assert "written to" in window.summary.text()

    report = tmp_path / "recall.pdf"
    monkeypatch.setattr(LotSearchWindow, "ask_save_path", classmethod(lambda cls, parent, name: report))
    window.report_button.click()
    qtbot.waitUntil(lambda: report.exists() and window.tasks.is_idle())
    assert report.read_bytes().startswith(b"%PDF-") and "report written to" in window.summary.text()


@pytest.mark.parametrize(
    "scan",
    [
        f"]d201{GTIN}17271231" + "10{lot}",
        f"01{GTIN}10{{lot}}{GROUP_SEPARATOR}17271231",
    ],
)
def test_a_scanned_box_in_the_lot_field_finds_the_same_lot(qtbot, demo_db, scan):
    lot = busiest_lot(demo_db)
    window = open_lot_window(qtbot, demo_db)
    search(qtbot, window, scan.replace("{lot}", lot))
    assert window.lot.text() == lot
    assert [window.model.record(r) for r in range(window.model.rowCount())] == lot_recall(demo_db, lot)


def test_an_unknown_lot_is_said_in_the_window(qtbot, demo_db):
    window = open_lot_window(qtbot, demo_db)
    search(qtbot, window, "NO-SUCH-LOT")
    assert window.summary.text() == "Not found: no lot NO-SUCH-LOT is registered"
    assert window.model.rowCount() == 0 and not window.export_button.isEnabled()


# ---------------------------------------------------------------------- adverse events


def a_treated_patient(db) -> tuple[str, int, datetime]:
    """A demo patient who was treated: chart number, their newest visit's id and its start."""
    with db.factory() as session:
        number = session.scalars(
            select(Patient.chart_number)
            .join(Visit, Visit.patient_id == Patient.id)
            .join(InjectionPoint, InjectionPoint.visit_id == Visit.id)
            .order_by(Patient.chart_number)
            .limit(1)
        ).one()
    newest = list_visits(db, number)[-1]
    return number, newest.id, newest.started_at


def open_events_window(qtbot, db, now, **kwargs) -> AdverseEventsWindow:
    clock = {"now": now}
    window = AdverseEventsWindow(db, clock=lambda: clock["now"], ticker=ManualTimer(), **kwargs)
    window.test_clock = clock  # type: ignore[attr-defined]
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.tasks.is_idle() and window.dose_product.count() > 0)
    return window


def click_face(qtbot, picker, region: str) -> None:
    from models.regions import front_anchor
    from ui.face_scene import to_scene

    where = picker.view.mapFromScene(to_scene(*front_anchor(region)))
    qtbot.mouseClick(picker.view.viewport(), Qt.MouseButton.LeftButton, pos=where)


def local(db, moment):
    return moment.astimezone(db.timezone).replace(tzinfo=None, second=0, microsecond=0)


def test_an_occlusion_with_a_dose_and_an_assessment_is_stored_and_logged_in_time_order(qtbot, demo_db):
    chart, visit_id, started = a_treated_patient(demo_db)
    onset = started.replace(second=0, microsecond=0) + timedelta(minutes=20)
    window = open_events_window(qtbot, demo_db, onset + timedelta(minutes=65))
    window.chart.setText(chart)
    window.load_visits()
    qtbot.waitUntil(lambda: window.tasks.is_idle() and window.visit.count() > 1)
    window.visit.setCurrentIndex(window.visit.findData(visit_id))
    window.kind.setCurrentIndex(window.kind.findData(EventKind.VASCULAR_OCCLUSION))
    window.severity.setCurrentIndex(window.severity.findData(Severity.SEVERE))
    window.onset.set_moment(local(demo_db, onset))
    window.description.setPlainText("blanching along the left nasolabial fold")
    window.actions_taken.setPlainText("massage, warm compress")
    window.referral.setText("ophthalmology <same day>")
    for region in (
        "nasolabial_l",
        "chin",
        "upper_lip_l",
        "chin",
    ):  # the second click on the chin takes it away
        click_face(qtbot, window.regions, region)
    assert window.regions.regions() == ("nasolabial_l", "upper_lip_l")
    assert window.regions.names.text() == ", ".join(REGIONS[c].label for c in ("nasolabial_l", "upper_lip_l"))
    window.record_button.click()
    qtbot.waitUntil(lambda: window.tasks.is_idle() and window.chosen is not None)
    assert window.record_message.text().startswith("Recorded"), window.record_message.text()

    # The assessment typed first, the dose (earlier) second: the log reads in time order.
    window.assess_button.click()
    assert window.assess_box.isVisible()
    window.assess_time.set_moment(local(demo_db, onset + timedelta(minutes=30)))
    window.refill.setText("4")
    window.colour.setText("mottled")
    window.pain.setValue(7)
    window.vision.setText("normal")
    window.assess_save.click()
    qtbot.waitUntil(lambda: window.tasks.is_idle() and window.log_model.rowCount() == 1)

    window.dose_button.click()
    window.dose_product.setCurrentIndex(window.dose_product.findText("Hylenex"))
    window.dose_time.set_moment(local(demo_db, onset + timedelta(minutes=5)))
    window.dose_amount.line.setText("300")
    window.dose_lot.setText("HY-77")
    window.dose_expiry.line.setText("2027-08")
    for row in range(window.dose_sites.count()):
        item = window.dose_sites.item(row)
        item.setSelected(item.data(Qt.ItemDataRole.UserRole) == "nasolabial_l")
    window.dose_save.click()
    qtbot.waitUntil(lambda: window.tasks.is_idle() and window.log_model.rowCount() == 2)
    assert window.log_message.text() == "Logged.", window.log_message.text()

    (stored,) = list_adverse_events(demo_db, patient_id=window.chosen.patient_id)
    assert (stored.chart_number, stored.visit_id, stored.kind, stored.severity) == (
        chart,
        visit_id,
        EventKind.VASCULAR_OCCLUSION,
        Severity.SEVERE,
    )
    assert stored.onset_at == onset
    assert (stored.regions, stored.referral) == (("nasolabial_l", "upper_lip_l"), "ophthalmology <same day>")
    assert "Referred to:</b> ophthalmology &lt;same day&gt;" in window.heading.text()
    assert not window.regions.regions(), "the form is cleared for the next event"
    assert [line.kind for line in stored.log] == [LogEntryKind.DOSE, LogEntryKind.ASSESSMENT]
    assert "Hylenex 300 U (lot HY-77)" in stored.log[0].words
    assert "capillary refill 4 s" in stored.log[1].words and "pain 7/10" in stored.log[1].words
    shown = [window.log_model.record(r) for r in range(window.log_model.rowCount())]
    assert shown == list(stored.log)
    assert window.model.rowCount() == len(list_adverse_events(demo_db))


def test_the_clock_shows_the_time_since_onset_and_the_next_dose_reminder(qtbot, demo_db):
    chart, visit_id, started = a_treated_patient(demo_db)
    from app.services.adverse_events import log_dose, report_adverse_event

    onset = started + timedelta(minutes=20)
    event = report_adverse_event(
        demo_db, chart, EventKind.VASCULAR_OCCLUSION, Severity.SEVERE, onset, visit_id
    )
    log_dose(demo_db, event.id, onset + timedelta(minutes=10), "Hylenex", Decimal("150"))
    window = open_events_window(qtbot, demo_db, onset + timedelta(minutes=65))
    window.table.selectRow(0)
    assert window.chosen is not None and window.chosen.id == event.id
    assert window.clock_label.isVisible()
    assert "since onset: 1 h 05 min · next dose due in 5 min" in window.clock_label.text()
    assert "reminder" in window.clock_label.text() and "not a rule" in window.clock_label.text()

    window.test_clock["now"] = onset + timedelta(minutes=80)  # type: ignore[attr-defined]
    window.ticker.fire()
    assert "since onset: 1 h 20 min · next dose was due 10 min ago" in window.clock_label.text()
    assert window.ticker.isActive()  # it goes on ticking


def test_a_front_desk_user_reads_the_list_but_cannot_record(qtbot, demo_db):
    from app.services.adverse_events import report_adverse_event
    from ui.actions import MainAction
    from ui.main_window import MainWindow

    chart, visit_id, started = a_treated_patient(demo_db)
    report_adverse_event(
        demo_db, chart, EventKind.BRUISING, Severity.MILD, started + timedelta(hours=1), visit_id
    )
    signed_in_as(demo_db, "desk")
    main = MainWindow(demo_db)
    qtbot.addWidget(main)
    main.show()
    main.actions[MainAction.ADVERSE_EVENTS].trigger()
    window = main.events_window
    assert window is not None
    qtbot.waitUntil(lambda: window.tasks.is_idle() and window.model.rowCount() == 1)
    window.table.selectRow(0)
    assert window.chosen is not None
    assert not window.record_button.isEnabled() and not window.record_box.isEnabled()
    assert not window.dose_button.isEnabled() and not window.assess_button.isEnabled()


def test_an_event_s_outcome_and_follow_up_are_recorded_in_the_window(qtbot, demo_db):
    from app.services.adverse_events import list_adverse_events, report_adverse_event

    chart, visit_id, started = a_treated_patient(demo_db)
    event = report_adverse_event(
        demo_db, chart, EventKind.BRUISING, Severity.MILD, started + timedelta(hours=2), visit_id
    )
    window = open_events_window(qtbot, demo_db, started + timedelta(days=1))
    window.table.selectRow(0)
    assert window.outcome_button.isEnabled()
    window.outcome_button.click()
    assert window.outcome_box.isVisibleTo(window)
    window.outcome.setText("resolved in a week")
    window.follow_up.setText("not a day")
    window.outcome_save.click()
    assert "is not a day" in window.log_message.text()
    window.follow_up.setText("2026-12-20")
    window.outcome_save.click()
    qtbot.waitUntil(lambda: window.tasks.is_idle() and not window.outcome_box.isVisibleTo(window))
    [stored] = [e for e in list_adverse_events(demo_db) if e.id == event.id]
    assert (stored.outcome, stored.follow_up.isoformat()) == ("resolved in a week", "2026-12-20")


def test_photos_of_an_event_are_added_in_the_window_and_a_hostile_file_is_named(
    qtbot, demo_db, tmp_path, monkeypatch
):
    from app.services.adverse_events import report_adverse_event
    from app.services.photos import event_photos
    from tests.app.test_photos import camera_jpeg

    chart, visit_id, started = a_treated_patient(demo_db)
    event = report_adverse_event(
        demo_db, chart, EventKind.NODULE, Severity.MILD, started + timedelta(hours=2), visit_id
    )
    good, hostile = tmp_path / "nodule.jpg", tmp_path / "nodule-2.png"
    good.write_bytes(camera_jpeg())
    hostile.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    monkeypatch.setattr(
        AdverseEventsWindow, "ask_photo_paths", classmethod(lambda cls, parent: [str(good), str(hostile)])
    )
    window = open_events_window(qtbot, demo_db, started + timedelta(days=1))
    window.table.selectRow(0)
    qtbot.waitUntil(lambda: window.tasks.is_idle())
    assert window.photos_button.isEnabled() and not window.photo_strip.isVisibleTo(window)
    window.photos_button.click()
    qtbot.waitUntil(lambda: window.tasks.is_idle() and window.photos_button.isEnabled())
    assert window.log_message.text().startswith("Added 1 photo. Not added: nodule-2.png:")
    assert [p.pose for p in event_photos(demo_db, event.id)] == ["close-up"]
    assert window.photo_strip.isVisibleTo(window) and window.photo_strip.photos.rowCount() == 1

    window.table.clearSelection()
    window.table.selectRow(0)  # chosen again: the strip is read back from the database
    qtbot.waitUntil(lambda: window.tasks.is_idle())
    assert [r.id for r in window.photo_strip.records()] == [p.id for p in event_photos(demo_db, event.id)]


def test_a_scanned_enzyme_box_fills_the_dose_s_lot_and_expiry(qtbot, demo_db):
    from app.services.adverse_events import report_adverse_event

    chart, visit_id, started = a_treated_patient(demo_db)
    report_adverse_event(
        demo_db,
        chart,
        EventKind.VASCULAR_OCCLUSION,
        Severity.SEVERE,
        started + timedelta(minutes=10),
        visit_id,
    )
    window = open_events_window(qtbot, demo_db, started + timedelta(minutes=40))
    window.table.selectRow(0)
    window.dose_button.click()
    window.dose_lot.setText("]d2010950600013435217280200" + "10HY-99")  # day 00: the month's end
    window.dose_lot.editingFinished.emit()
    assert (window.dose_lot.text(), window.dose_expiry.date()) == ("HY-99", date(2028, 2, 29))
    window.dose_lot.setText("0109506000134353172802001099")
    window.dose_lot.editingFinished.emit()
    assert "the scanned box could not be read" in window.log_message.text()
    assert "Invalid GTIN check digit" in window.log_message.text()
    window.barcodes = {"09506000134352": "Botox Cosmetic"}  # the clinic mapped this box to a toxin
    window.dose_lot.setText("0109506000134352172802001077")
    window.dose_lot.editingFinished.emit()
    product = window.dose_product.currentData().name
    assert window.log_message.text().endswith(
        f"the scanned box is Botox Cosmetic, not {product}: scan a box of {product}"
    )
