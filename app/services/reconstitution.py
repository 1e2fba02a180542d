"""Reconstituted vials: mixing a toxin vial is a record (vial size, diluent, when, by whom),
its concentration is derived, and its discard-by time comes from the label's use-within
time in the catalogue ("use within 24 h refrigerated": Botox Cosmetic, Jeuveau), or from the
clinic where the catalogue gives none (its source is weak). Once a lot's vials are recorded
here, a visit is charted from that lot only while one of them is in use: mixed, not
finished, not past its discard-by time at the visit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.audit import record_event
from app.services.users import require
from app.services.visits import ProductLookup
from app.storage.database import Database
from models.accounts import Permission
from models.amounts import format_dose
from models.base import format_amount, utcnow
from models.errors import NotFoundError, ValidationError
from models.tables import InjectionPoint, Lot, Reconstitution
from models.vocabulary import ProductKind

DEFAULT_DILUENT = "0.9% sodium chloride, preservative-free"
# A visit begun before the vial was mixed (the vial mixed as the patient sits down).
MIXED_DURING_VISIT = timedelta(hours=2)


def use_within_hours(label: str | None) -> int | None:
    """The label's use-within time in hours, from the catalogue's reconstitution text."""
    found = re.search(r"use within (\d+) ?h", label or "")
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Vial:
    id: int
    product: str
    unit: str
    lot: str
    vial_size: Decimal
    diluent_ml: Decimal
    diluent: str
    mixed_at: datetime
    mixed_by: str
    discard_by: datetime | None
    finished_at: datetime | None

    @property
    def per_tenth_ml(self) -> Decimal:
        """Units in 0.1 mL: the concentration injectors work in."""
        return self.vial_size * Decimal("0.1") / self.diluent_ml

    def describe(self) -> str:
        """ "Botox Cosmetic lot C1234: 100 U in 2.5 mL 0.9% sodium chloride = 4 U per 0.1 mL"."""
        concentration = format_amount(self.per_tenth_ml.quantize(Decimal("0.01")).normalize())
        return (
            f"{self.product} lot {self.lot}: {format_dose(self.vial_size, self.unit)} in"
            f" {format_amount(self.diluent_ml)} mL {self.diluent} = {concentration} {self.unit} per 0.1 mL"
        )

    def volume_words(self, amount: Decimal) -> str:
        """What a dose drawn from this vial is in the syringe:
        "4 U = 0.1 mL = 10 units on a U-100 insulin syringe"."""
        millilitres = amount * self.diluent_ml / self.vial_size
        syringe = millilitres * 100  # a U-100 insulin syringe: 100 marks per mL
        return (
            f"{format_dose(amount, self.unit)} = {format_amount(millilitres.quantize(Decimal('0.001')).normalize())} mL"
            f" = {format_amount(syringe.quantize(Decimal('0.1')).normalize())} units on a U-100 insulin syringe"
        )

    def usable_at(self, moment: datetime) -> bool:
        return (
            self.mixed_at - MIXED_DURING_VISIT <= moment
            and (self.discard_by is None or moment <= self.discard_by)
            and (self.finished_at is None or moment <= self.finished_at)
        )


def _vial(vial: Reconstitution) -> Vial:
    product = vial.lot.product
    return Vial(
        vial.id,
        product.name,
        product.dose_unit.value,
        vial.lot.number,
        vial.vial_size,
        vial.diluent_ml,
        vial.diluent,
        vial.mixed_at,
        vial.mixed_by,
        vial.discard_by,
        vial.finished_at,
    )


def mix_vial(
    db: Database,
    product_name: str,
    lot_number: str,
    vial_size: Decimal | None = None,
    diluent_ml: Decimal | None = None,
    diluent: str = DEFAULT_DILUENT,
    mixed_at: datetime | None = None,
    use_within: int | None = None,
) -> Vial:
    """Record a vial mixed (the lot must be registered and in date). `use_within` hours
    replace the label's where the catalogue gives none."""
    mixed_at = mixed_at or utcnow()
    if mixed_at > utcnow() + timedelta(minutes=5):
        raise ValidationError("a vial is recorded once it is mixed, not before", "mixed_at")
    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        product = ProductLookup(session).product(product_name)
        if product.kind is not ProductKind.NEUROMODULATOR:
            raise ValidationError(f"{product.name} is not reconstituted: only toxins are mixed", "product")
        lot = session.scalar(
            select(Lot).where(Lot.product_id == product.id, Lot.number == lot_number.strip())
        )
        if lot is None:
            raise NotFoundError(f"no lot {lot_number} of {product.name} is registered (receive it first)")
        if lot.expiry is not None and lot.expiry < mixed_at.date():
            raise ValidationError(f"lot {lot.number} expired on {lot.expiry.isoformat()}", "lot")
        size = vial_size or lot.package_size or product.package_size
        volume = diluent_ml or product.default_diluent_ml
        if size is None or volume is None or size <= 0 or volume <= 0:
            raise ValidationError("give the vial's size and the diluent volume (more than 0)", "vial")
        hours = use_within if use_within is not None else use_within_hours(product.reconstitution)
        vial = Reconstitution(
            lot=lot,
            vial_size=size,
            diluent_ml=volume,
            diluent=diluent.strip() or DEFAULT_DILUENT,
            mixed_at=mixed_at,
            mixed_by=db.actor,
            discard_by=mixed_at + timedelta(hours=hours) if hours is not None else None,
        )
        session.add(vial)
        session.flush()
        record_event(
            session,
            db.actor,
            "mix",
            "lot",
            lot.id,
            product=product.name,
            vial=vial.id,
            size=str(size),
            diluent_ml=str(volume),
        )
        return _vial(vial)


def finish_vial(db: Database, vial_id: int, at: datetime | None = None) -> Vial:
    """The vial is used up or thrown away: nothing more is charted from it."""
    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        vial = session.get(Reconstitution, vial_id)
        if vial is None:
            raise NotFoundError(f"no vial {vial_id} (see: aliquot vials)")
        vial.finished_at = at or utcnow()
        record_event(session, db.actor, "finish-vial", "lot", vial.lot_id, vial=vial.id)
        return _vial(vial)


def open_vials(db: Database, at: datetime | None = None) -> list[Vial]:
    """The vials in use now (or at `at`), the latest mixed first."""
    moment = at or utcnow()
    with db.factory() as session:
        vials = session.scalars(select(Reconstitution).order_by(Reconstitution.mixed_at.desc())).all()
        return [v for v in (_vial(vial) for vial in vials) if v.usable_at(moment)]


def vials_for(session: Session, lot_ids: Iterable[int]) -> dict[int, list[Vial]]:
    """The recorded vials of these lots."""
    ids = set(lot_ids)
    if not ids:
        return {}
    found: dict[int, list[Vial]] = {}
    for vial in session.scalars(select(Reconstitution).where(Reconstitution.lot_id.in_(ids))):
        found.setdefault(vial.lot_id, []).append(_vial(vial))
    return found


def check_vials(session: Session, points: Iterable[InjectionPoint], started_at: datetime) -> None:
    """A lot whose vials are recorded is charted from only while one is in use at the visit."""
    by_lot = vials_for(session, _lot_ids(points))
    for vials in by_lot.values():
        if not any(v.usable_at(started_at) for v in vials):
            latest = max(vials, key=lambda v: v.mixed_at)
            why = (
                f"was finished at {latest.finished_at:%Y-%m-%d %H:%M} UTC"
                if latest.finished_at is not None and latest.finished_at < started_at
                else f"was to be used by {latest.discard_by:%Y-%m-%d %H:%M} UTC"
                if latest.discard_by is not None and latest.discard_by < started_at
                else f"was mixed only at {latest.mixed_at:%Y-%m-%d %H:%M} UTC"
            )
            raise ValidationError(
                f"lot {latest.lot} of {latest.product}: its vial mixed at {latest.mixed_at:%Y-%m-%d %H:%M} UTC"
                f" {why}; record a newly mixed vial (aliquot vials mix) before charting from it",
                "lot",
            )


def vials_of_visit(session: Session, points: Iterable[InjectionPoint], started_at: datetime) -> list[Vial]:
    """The vials a visit was charted from: those of its lots in use at the visit."""
    by_lot = vials_for(session, _lot_ids(points))
    return [v for vials in by_lot.values() for v in vials if v.usable_at(started_at)]


def _lot_ids(points: Iterable[InjectionPoint]) -> set[int]:
    """The points' lots (a point not flushed yet knows its lot, not yet its lot id)."""
    ids = {p.lot.id if p.lot is not None else p.lot_id for p in points}
    return {lot_id for lot_id in ids if lot_id is not None}


def visit_vials(db: Database, visit_id: int) -> list[Vial]:
    """The vials a stored visit was charted from (for its record)."""
    from models.tables import Visit

    with db.factory() as session:
        visit = session.get(Visit, visit_id)
        if visit is None:
            raise NotFoundError(f"no visit with id {visit_id}")
        return vials_of_visit(session, visit.points, visit.started_at)


def vials_in_use(db: Database, at: datetime) -> dict[tuple[str, str], Vial]:
    """The vial in use at `at` for each product and lot (the latest mixed): what a visit
    charts from, so that the editor can say a dose's volume."""
    in_use: dict[tuple[str, str], Vial] = {}
    for vial in sorted(open_vials(db, at), key=lambda v: v.mixed_at):
        in_use[(vial.product, vial.lot)] = vial
    return in_use
