"""The lot register: which boxes of each product the clinic has, and until when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import String, or_, select, type_coerce

from app.storage.database import Database
from models.base import stored_amount, stored_moment
from models.errors import NotFoundError, ValidationError
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


class LotUse(NamedTuple):  # a tuple: a recall may list tens of thousands
    """One injection from a lot: who, when, where and how much (a recall's line)."""

    chart_number: str
    patient_name: str
    phone: str | None
    visit_id: int
    visit_day: date
    signed: bool
    product: str
    lot: str
    expiry: date | None
    region_code: str
    amount: Decimal
    unit: str
    aliquots: int


def lot_recall(db: Database, lot_number: str, product_name: str | None = None) -> list[LotUse]:
    """Every injection from a lot (of one product, or of any that has that lot number), by
    patient and visit: the answer to a manufacturer's recall. Visits corrected by an
    amendment are left out (the amendment stands for them). The search is audited."""
    from app.services.audit import record_event
    from app.services.visits import local_date
    from models.signed_content import superseded
    from models.tables import InjectionPoint, Patient, Visit
    from models.vocabulary import VisitStatus

    number = lot_number.strip()
    if not number:
        raise ValidationError("give the lot number to look for", "lot")
    with db.audited_read() as session:
        lots = (
            select(Lot.id, Product.name, Lot.number, Lot.expiry, Product.dose_unit)
            .join(Product, Product.id == Lot.product_id)
            .where(Lot.number == number)
        )
        if product_name is not None:
            lots = lots.where(Product.name_key == fold(product_name))
        found = {
            lot_id: (name, lot, expiry, unit.value)
            for lot_id, name, lot, expiry, unit in session.execute(lots)
        }
        lot_ids = list(found)
        if not lot_ids:
            which = f" of {product_name}" if product_name else ""
            raise NotFoundError(f"no lot {number}{which} is registered")
        rows = (
            session.connection()
            .execute(  # plain rows: a lot may reach thousands of injections
                select(
                    Patient.chart_number,
                    Patient.given_name,
                    Patient.family_name,
                    Patient.phone,
                    Visit.id,
                    type_coerce(Visit.started_at, String),  # read once per visit, below
                    type_coerce(Visit.status, String),
                    InjectionPoint.lot_id,  # the lot's product, number and expiry: `found`
                    InjectionPoint.region_code,
                    type_coerce(InjectionPoint.amount, String),  # each distinct amount read once, below
                    InjectionPoint.aliquots,
                )
                .select_from(InjectionPoint)
                .join(Visit, Visit.id == InjectionPoint.visit_id)
                .join(Patient, Patient.id == Visit.patient_id)
                .where(InjectionPoint.lot_id.in_(lot_ids), ~superseded())
                .order_by(
                    Patient.family_name,
                    Patient.given_name,
                    Patient.id,
                    Visit.started_at,
                    InjectionPoint.position,
                )
            )
            .all()
        )
        record_event(session, db.actor, "search", "lot", number, product=product_name, injections=len(rows))
    days: dict[int, date] = {}  # a visit's day, worked out once for all its sites
    amounts: dict[object, Decimal] = {}
    uses = []
    for chart, given, family, phone, visit_id, started, status, lot_id, region, amount, aliquots in rows:
        day = days.get(visit_id)
        if day is None:
            day = days[visit_id] = local_date(stored_moment(started), db.timezone)
        dose = amounts.get(amount)
        if dose is None:
            dose = amounts[amount] = stored_amount(amount)
        product, lot, expiry, unit = found[lot_id]  # type: ignore[index]  # the query asked for these lots
        uses.append(
            LotUse(
                chart,
                f"{given} {family}",
                phone,
                visit_id,
                day,
                status == VisitStatus.SIGNED,
                product,
                lot,
                expiry,
                region,
                dose,
                unit,
                aliquots,
            )
        )
    return uses


RECALL_COLUMNS = [
    "chart",
    "patient",
    "phone",
    "visit",
    "date",
    "signed",
    "product",
    "lot",
    "expiry",
    "site",
    "amount",
    "unit",
    "aliquots",
]


def recall_rows(uses: list[LotUse]) -> list[list[object]]:
    """A recall's lines under RECALL_COLUMNS, as the CSV, the JSON and the window give them."""
    from models.base import format_amount

    return [
        [
            u.chart_number,
            u.patient_name,
            u.phone or "",
            u.visit_id,
            u.visit_day.isoformat(),
            "yes" if u.signed else "no",
            u.product,
            u.lot,
            u.expiry.isoformat() if u.expiry else "",
            u.region_code,
            format_amount(u.amount),
            u.unit,
            u.aliquots,
        ]
        for u in uses
    ]
