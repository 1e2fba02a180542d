"""A lot recall on the 100,000-patient clinic (bench/foundation.py builds it): every
patient, visit, site and amount from one lot, for the lot used most."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from app.services.lots import lot_recall
from bench.common import clinic_database, median_ms, report
from models.tables import InjectionPoint, Lot, Product


def main() -> int:
    db = clinic_database(__doc__)
    if db is None:
        return 2
    with db.factory() as session:
        number, product, uses = session.execute(
            select(Lot.number, Product.name, func.count())
            .join(InjectionPoint, InjectionPoint.lot_id == Lot.id)
            .join(Product, Product.id == Lot.product_id)
            .group_by(Lot.id, Lot.number, Product.name)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
    print(f"the lot used most: {number} of {product}, {uses} injections")
    found = lot_recall(db, number, product)
    patients = len({u.chart_number for u in found})
    ok = report(
        f"lot recall: {len(found)} injections, {patients} patients",
        median_ms(lambda: lot_recall(db, number, product), 5),
        250,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
