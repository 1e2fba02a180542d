"""The lot register: which boxes of each product the clinic has, and until when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select

from app.storage.database import Database
from models.tables import Lot, Product
from models.text import fold


@dataclass(frozen=True)
class LotRecord:
    number: str
    expiry: date | None
    received: date | None
    package_size: Decimal | None = None  # the lot's vial or syringe size; None: unknown


def usable_lots(db: Database, product_name: str, on: date) -> list[LotRecord]:
    """Lots of a product still in date on `on`, the soonest to expire first (use it first)."""
    with db.factory() as session:
        lots = session.scalars(
            select(Lot)
            .join(Product, Lot.product_id == Product.id)
            .where(Product.name_key == fold(product_name), or_(Lot.expiry.is_(None), Lot.expiry >= on))
            .order_by(Lot.expiry, Lot.number)
        )
        return [LotRecord(lot.number, lot.expiry, lot.received, lot.package_size) for lot in lots]


def starting_lot(lots: list[LotRecord], last_number: str | None) -> LotRecord | None:
    """The lot a new visit's pen starts on, among `lots` (those usable on the visit day).

    The lot the patient last had, if it is still in date: the same batch keeps the chart
    consistent and is most likely still in the drawer. Otherwise the newest in-date lot:
    the latest expiry, which is the most recently made batch, then the latest received
    (lots first typed while charting have no received date). A lot without an expiry is
    ranked last, its age unknown. Not the soonest expiry the lot list offers first: that
    order serves stock rotation, while a returning patient's pen follows the current box.
    """
    for lot in lots:
        if last_number is not None and lot.number == last_number:
            return lot
    return max(lots, key=lambda lot: (lot.expiry or date.min, lot.received or date.min), default=None)
