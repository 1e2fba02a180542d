"""The lot recall and vascular occlusion screenshots for the docs, made without a screen:

    QT_QPA_PLATFORM=offscreen python docs/make_event_screenshots.py docs/screenshots

A demo clinic is made in a temporary folder (its prescriber signed in). Writes
lot-recall.png: the lot used most, searched; stock.png: three deliveries, one near its
expiry and one product below its threshold; and vascular-occlusion.png: an occlusion after
a filler visit with two hyaluronidase doses and two assessments, the clock read 65 minutes
after the onset.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from app.demo import DEMO_PASSWORD, generate_demo
from app.services.adverse_events import log_assessment, log_dose, report_adverse_event
from app.services.catalogue import list_products
from app.services.users import sign_in
from app.services.visits import list_visits
from app.storage.database import open_database
from models.tables import InjectionPoint, Lot, Patient, Product, Visit
from models.vocabulary import EventKind, Severity


def settle(app: QApplication, window) -> None:
    """Let the window's background work end and its answers arrive."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        app.processEvents()
        if window.tasks.is_idle():
            app.processEvents()
            return
    raise RuntimeError("the window's work did not end")


def main(out: Path) -> None:
    from ui.adverse_events_window import AdverseEventsWindow
    from ui.lot_search import LotSearchWindow

    app = QApplication.instance() or QApplication([])
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(URL.create("sqlite", database=str(Path(folder) / "demo.db")), "demo")
        generate_demo(db, patients=30, seed=11, as_of=date(2026, 11, 1), users=True)
        sign_in(db, "marcus", DEMO_PASSWORD)
        with db.factory() as session:
            lot = session.scalars(
                select(Lot.number)
                .join(InjectionPoint, InjectionPoint.lot_id == Lot.id)
                .group_by(Lot.id)
                .order_by(func.count(InjectionPoint.id).desc())
                .limit(1)
            ).one()
            chart = session.scalars(  # a patient treated with a filler: an occlusion follows one
                select(Patient.chart_number)
                .join(Visit, Visit.patient_id == Patient.id)
                .join(InjectionPoint, InjectionPoint.visit_id == Visit.id)
                .join(Product, Product.id == InjectionPoint.product_id)
                .where(Product.kind == "filler")
                .order_by(Visit.started_at.desc())
                .limit(1)
            ).one()

        names = [p.name for p in list_products(db.factory)]
        lots = LotSearchWindow(db, names)
        lots.resize(1250, 640)
        lots.show()
        lots.lot.setText(lot)
        lots.search()
        settle(app, lots)
        lots.grab().save(str(out / "lot-recall.png"))
        lots.close()

        from app.services.stock import receive_stock, set_threshold
        from ui.stock_window import StockWindow

        today = date.today()
        receive_stock(
            db, "Botox Cosmetic", "C90412", today + timedelta(days=400), 6, Decimal("100"), "Allergan"
        )
        receive_stock(
            db, "Botox Cosmetic", "C88107", today + timedelta(days=18), 1, Decimal("50"), "Allergan"
        )
        receive_stock(
            db, "Restylane Kysse", "RK5512", today + timedelta(days=300), 4, Decimal("1"), "Galderma"
        )
        set_threshold(db, "Restylane Kysse", Decimal("5"))
        stock = StockWindow(db, list_products(db.factory))
        stock.resize(1100, 620)
        stock.show()
        settle(app, stock)
        stock.grab().save(str(out / "stock.png"))
        stock.close()

        visit = next(v for v in reversed(list_visits(db, chart)) if v.totals)
        onset = visit.started_at.replace(second=0, microsecond=0) + timedelta(minutes=25)
        event = report_adverse_event(
            db,
            chart,
            EventKind.VASCULAR_OCCLUSION,
            Severity.SEVERE,
            onset,
            visit.id,
            ("nasolabial_l",),
            "Blanching then livedo along the left nasolabial fold, pain 7/10 minutes after filler.",
            "Injection stopped, massage, warm compress, hyaluronidase.",
        )
        log_assessment(db, event.id, onset + timedelta(minutes=2), Decimal("4"), "blanched", 7, "normal")
        log_dose(
            db,
            event.id,
            onset + timedelta(minutes=5),
            "Hylenex",
            Decimal("450"),
            "HY2207",
            date(2027, 8, 31),
            ("nasolabial_l", "upper_lip_l"),
        )
        log_assessment(db, event.id, onset + timedelta(minutes=55), Decimal("3"), "mottled", 4, "normal")
        log_dose(
            db,
            event.id,
            onset + timedelta(minutes=60),
            "Hylenex",
            Decimal("450"),
            "HY2207",
            None,
            ("nasolabial_l",),
        )
        events = AdverseEventsWindow(db, clock=lambda: onset + timedelta(minutes=65))
        events.resize(1400, 820)
        events.show()
        settle(app, events)
        events.table.selectRow(0)
        events.dose_button.click()  # the dose form open, as at the next dose
        settle(app, events)
        events.grab().save(str(out / "vascular-occlusion.png"))
        events.close()
        db.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
