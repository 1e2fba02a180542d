"""The lot register: which boxes of each product the clinic has, and until when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from app.database import Database
from models.tables import Lot, Product
from models.text import fold


@dataclass(frozen=True)
class LotRecord:
    number: str
    expiry: date | None
    received: date | None


def usable_lots(db: Database, product_name: str, on: date) -> list[LotRecord]:
    """Lots of a product still in date on `on`, the soonest to expire first (use it first)."""
    with db.factory() as session:
        lots = session.scalars(
            select(Lot)
            .join(Product, Lot.product_id == Product.id)
            .where(Product.name_key == fold(product_name), or_(Lot.expiry.is_(None), Lot.expiry >= on))
            .order_by(Lot.expiry, Lot.number)
        )
        return [LotRecord(lot.number, lot.expiry, lot.received) for lot in lots]
