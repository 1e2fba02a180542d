"""Stock and the vials at the chair on the 100,000-patient clinic (bench/foundation.py
builds it): saving a visit that draws its points from open vials and syringes, the stock
report with a year of finished vials, and the open vials listed. The bench adds its own
lots, vials and one visit to the clinic each time it runs."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select

from app.services.packages import finish_package, mix_vial, open_packages, open_syringe
from app.services.stock import receive_stock, stock_on_hand
from app.services.visits import create_visit, replace_points
from bench.common import clinic_database, median_ms, report
from models.records import PointDraft
from models.tables import Lot, OpenedPackage, Patient, Provider
from models.vocabulary import PackageFinish, PackageKind, View

YEAR_OF_VIALS = 3650  # ten mixed a day


def main() -> int:
    db = clinic_database(__doc__)
    if db is None:
        return 2
    now = datetime.now(UTC).replace(microsecond=0)
    toxin_lot, filler_lot = f"BV{uuid.uuid4().hex[:6]}", f"BF{uuid.uuid4().hex[:6]}"
    receive_stock(
        db, "Botox Cosmetic", toxin_lot, date(2030, 12, 31), 40, Decimal(100), received_on=date.today()
    )
    receive_stock(
        db, "Juvéderm Voluma XC", filler_lot, date(2030, 12, 31), 20, Decimal(1), received_on=date.today()
    )
    with db.factory.begin() as session:  # a year of vials, mixed and finished, as a busy clinic has
        lot_id = session.scalar(select(Lot.id).where(Lot.number == toxin_lot))
        start = now - timedelta(days=365)  # to a fortnight ago, each finished the day it was mixed
        session.execute(
            insert(OpenedPackage),
            [
                {
                    "lot_id": lot_id,
                    "kind": PackageKind.VIAL,
                    "size": Decimal(100),
                    "diluent_ml": Decimal("2.5"),
                    "diluent": "0.9% sodium chloride",
                    "opened_at": start + timedelta(hours=2.3 * i),
                    "opened_by": "bench",
                    "discard_by": start + timedelta(hours=2.3 * i + 24),
                    "finished_at": start + timedelta(hours=2.3 * i + 8),
                    "finished_by": "bench",
                    "finish": PackageFinish.USED_UP,
                }
                for i in range(YEAR_OF_VIALS)
            ],
        )
        patient_id = session.scalar(select(Patient.id).order_by(Patient.id).limit(1))
        provider_id = session.scalar(select(Provider.id).order_by(Provider.id).limit(1))
    vials = [
        mix_vial(db, "Botox Cosmetic", toxin_lot, mixed_at=now - timedelta(minutes=30)) for _ in range(3)
    ]
    syringe = open_syringe(db, "Juvéderm Voluma XC", filler_lot, opened_at=now - timedelta(minutes=30))
    assert patient_id is not None and provider_id is not None
    visit = create_visit(db, patient_id, provider_id, now - timedelta(minutes=20))

    def point(region: str, product: str, amount: str, unit: str, lot: str) -> PointDraft:
        return PointDraft(View.FRONT, 0.5, 0.4, region, product, Decimal(amount), unit, lot_number=lot)

    drafts = [point("forehead", "Botox Cosmetic", "2", "U", toxin_lot) for _ in range(20)] + [
        point("cheek_l", "Juvéderm Voluma XC", "0.05", "mL", filler_lot) for _ in range(10)
    ]
    state = {"version": visit.version}

    def save() -> None:
        state["version"] = replace_points(db, visit.id, state["version"], drafts).version

    results = [
        report("save a 30-point visit drawn from open vials and a syringe", median_ms(save, 9), 150),
        report(
            f"stock report ({YEAR_OF_VIALS} finished vials on the lot)",
            median_ms(lambda: stock_on_hand(db), 9),
            250,
        ),
        report("open vials and syringes listed", median_ms(lambda: open_packages(db), 9), 100),
    ]
    left = {p.id: p.left for p in open_packages(db)}
    print(f"left: the syringe {left[syringe.id]} mL, the vials {[str(left[v.id]) for v in vials]} U")
    for package in [*vials, syringe]:
        finish_package(db, package.id)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
