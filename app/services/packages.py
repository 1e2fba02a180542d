"""Opened vials and syringes: what is drawn from at the chair.

Mixing a toxin vial is a record (vial size, diluent, when, by whom); its concentration is
derived, and its discard-by time comes from the label's use-within time in the catalogue
("use within 24 h refrigerated": Botox Cosmetic, Jeuveau), or from the clinic where the
catalogue gives none (its source is weak). Opening a filler syringe is a record too, and a
partly used syringe stays open, across visits, until it is marked used up or wasted.

Once a lot's vials or syringes are recorded here, a visit is charted from that lot only
while one of them is open at the visit, and each point is drawn from one of them: the
oldest open one with enough left, so an old vial is used up before a new one. A dose
larger than what is left in every open one is refused (a typed 200 for 20 is caught
here too). What is left in a package is its size less what its points took; when it is
finished, or passes its discard-by time, that rest is wastage in stock
(app/services/stock.py).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select, type_coerce
from sqlalchemy.orm import Session

from app.services.audit import record_event
from app.services.users import require
from app.services.visits import ProductLookup, local_date
from app.storage.database import Database
from models.accounts import Permission
from models.amounts import format_dose
from models.base import Amount, format_amount, utcnow
from models.errors import NotFoundError, ValidationError
from models.signed_content import superseded
from models.tables import InjectionPoint, Lot, OpenedPackage, Product, Visit
from models.vocabulary import DoseUnit, PackageFinish, PackageKind, ProductKind

DEFAULT_DILUENT = "0.9% sodium chloride, preservative-free"
# A visit begun before the vial was mixed (the vial mixed as the patient sits down).
MIXED_DURING_VISIT = timedelta(hours=2)


def use_within_hours(label: str | None) -> int | None:
    """The label's use-within time in hours, from the catalogue's reconstitution text."""
    found = re.search(r"use within (\d+) ?h", label or "")
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Package:
    """An opened vial or syringe, with what its points took (`drawn`)."""

    id: int
    kind: PackageKind
    lot_id: int
    product: str
    unit: str
    lot: str
    size: Decimal
    diluent_ml: Decimal | None
    diluent: str
    opened_at: datetime
    opened_by: str
    discard_by: datetime | None
    finished_at: datetime | None
    finished_by: str
    finish: PackageFinish | None
    drawn: Decimal

    @property
    def name(self) -> str:
        """ "vial 12", "syringe 7": how the clinic names it at the chair and on the command line."""
        return f"{self.kind.value} {self.id}"

    @property
    def left(self) -> Decimal:
        return self.size - self.drawn

    @property
    def per_tenth_ml(self) -> Decimal:
        """A vial's units in 0.1 mL: the concentration injectors work in."""
        assert self.diluent_ml is not None, "only a mixed vial has a concentration"
        return self.size * Decimal("0.1") / self.diluent_ml

    @property
    def concentration(self) -> str:
        """A vial's "4 U per 0.1 mL" (to 0.01 U, as a syringe is read)."""
        shown = format_amount(self.per_tenth_ml.quantize(Decimal("0.01")).normalize())
        return f"{shown} {self.unit} per 0.1 mL"

    def describe(self) -> str:
        """ "Botox Cosmetic lot C1234: 100 U in 2.5 mL 0.9% sodium chloride = 4 U per 0.1 mL",
        "Juvéderm Voluma XC lot V1: 1 mL syringe"."""
        if self.diluent_ml is None:
            return f"{self.product} lot {self.lot}: {format_dose(self.size, self.unit)} syringe"
        return (
            f"{self.product} lot {self.lot}: {format_dose(self.size, self.unit)} in"
            f" {format_amount(self.diluent_ml)} mL {self.diluent} = {self.concentration}"
        )

    def volume_words(self, amount: Decimal) -> str:
        """What a dose drawn from this vial is in the syringe:
        "4 U = 0.1 mL = 10 units on a U-100 insulin syringe"; a filler dose is its mL."""
        if self.diluent_ml is None:
            return ""
        millilitres = amount * self.diluent_ml / self.size
        syringe = millilitres * 100  # a U-100 insulin syringe: 100 marks per mL
        return (
            f"{format_dose(amount, self.unit)} = {format_amount(millilitres.quantize(Decimal('0.001')).normalize())} mL"
            f" = {format_amount(syringe.quantize(Decimal('0.1')).normalize())} units on a U-100 insulin syringe"
        )

    def left_words(self) -> str:
        """ "vial 12: 64 U left of 100 U"."""
        return f"{self.name}: {format_dose(self.left, self.unit)} left of {format_dose(self.size, self.unit)}"

    def usable_at(self, moment: datetime) -> bool:
        return (
            self.opened_at - MIXED_DURING_VISIT <= moment
            and (self.discard_by is None or moment <= self.discard_by)
            and (self.finished_at is None or moment <= self.finished_at)
        )


def _package(row: OpenedPackage, drawn: Decimal) -> Package:
    product = row.lot.product
    return Package(
        row.id,
        row.kind,
        row.lot_id,
        product.name,
        product.dose_unit.value,
        row.lot.number,
        row.size,
        row.diluent_ml,
        row.diluent,
        row.opened_at,
        row.opened_by,
        row.discard_by,
        row.finished_at,
        row.finished_by,
        row.finish,
        drawn,
    )


def drawn_from(
    session: Session, package_ids: Iterable[int], except_visit: int | None = None
) -> dict[int, Decimal]:
    """What the points charted from each package took (an amended visit counts once: its
    amendment stands for it)."""
    ids = set(package_ids)
    if not ids:
        return {}
    query = (
        select(InjectionPoint.package_id, func.sum(InjectionPoint.amount))
        .join(Visit, Visit.id == InjectionPoint.visit_id)
        .where(InjectionPoint.package_id.in_(ids), ~superseded())
        .group_by(InjectionPoint.package_id)
    )
    if except_visit is not None:
        query = query.where(Visit.id != except_visit)
    return {
        package_id: Decimal(total) for package_id, total in session.execute(query) if package_id is not None
    }


def packages_of(session: Session, rows: Sequence[OpenedPackage]) -> list[Package]:
    drawn = drawn_from(session, (row.id for row in rows))
    return [_package(row, drawn.get(row.id, Decimal(0))) for row in rows]


@dataclass(frozen=True)
class LotPackages:
    """A lot's vials and syringes at a moment: the rest of those closed (finished, or past
    their discard-by time), which is wastage, and what is left in those still open."""

    left_in_closed: Decimal
    left_in_open: Decimal
    open_count: int


def packages_by_lot(session: Session, moment: datetime) -> dict[int, LotPackages]:
    """Every lot's packages summed in one query (a clinic mixes thousands of vials a year)."""
    drawn = (
        select(InjectionPoint.package_id, func.sum(InjectionPoint.amount).label("drawn"))
        .join(Visit, Visit.id == InjectionPoint.visit_id)
        .where(InjectionPoint.package_id.is_not(None), ~superseded())
        .group_by(InjectionPoint.package_id)
        .subquery()
    )
    none = Decimal(0)  # an Amount column's literals are Decimals too
    rest = OpenedPackage.size - func.coalesce(drawn.c.drawn, none)
    closed = OpenedPackage.finished_at.is_not(None) | (OpenedPackage.discard_by < moment)
    rows = session.execute(
        select(
            OpenedPackage.lot_id,
            type_coerce(func.sum(case((closed & (rest > none), rest), else_=none)), Amount),
            type_coerce(func.sum(case((closed, none), else_=rest)), Amount),
            func.sum(case((closed, 0), else_=1)),
        )
        .outerjoin(drawn, drawn.c.package_id == OpenedPackage.id)
        .group_by(OpenedPackage.lot_id)
    )
    return {
        lot_id: LotPackages(Decimal(wasted or 0), Decimal(in_open or 0), int(count or 0))
        for lot_id, wasted, in_open, count in rows
    }


def _registered_lot(session: Session, product: Product, lot_number: str) -> Lot:
    lot = session.scalar(select(Lot).where(Lot.product_id == product.id, Lot.number == lot_number.strip()))
    if lot is None:
        raise NotFoundError(f"no lot {lot_number} of {product.name} is registered (receive it first)")
    return lot


def _opened(session: Session, db: Database, row: OpenedPackage, product: Product) -> Package:
    session.add(row)
    session.flush()
    verb = "mix" if row.kind is PackageKind.VIAL else "open-syringe"
    record_event(
        session,
        db.actor,
        verb,
        "lot",
        row.lot_id,
        product=product.name,
        package=row.id,
        size=str(row.size),
        diluent_ml=str(row.diluent_ml) if row.diluent_ml is not None else None,
    )
    return _package(row, Decimal(0))


def _check_opening(opened_at: datetime, lot: Lot, zone: ZoneInfo) -> None:
    if opened_at > utcnow() + timedelta(minutes=5):
        raise ValidationError("a vial or syringe is recorded once it is opened, not before", "opened_at")
    if lot.expiry is not None and lot.expiry < local_date(opened_at, zone):  # the clinic's day
        raise ValidationError(f"lot {lot.number} expired on {lot.expiry.isoformat()}", "lot")


def mix_vial(
    db: Database,
    product_name: str,
    lot_number: str,
    vial_size: Decimal | None = None,
    diluent_ml: Decimal | None = None,
    diluent: str = DEFAULT_DILUENT,
    mixed_at: datetime | None = None,
    use_within: int | None = None,
) -> Package:
    """Record a vial mixed (the lot must be registered and in date). `use_within` hours
    replace the label's where the catalogue gives none."""
    mixed_at = mixed_at or utcnow()
    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        product = ProductLookup(session).product(product_name)
        if product.kind is not ProductKind.NEUROMODULATOR:
            raise ValidationError(f"{product.name} is not reconstituted: only toxins are mixed", "product")
        lot = _registered_lot(session, product, lot_number)
        _check_opening(mixed_at, lot, db.timezone)
        size = vial_size or lot.package_size or product.package_size
        volume = diluent_ml or product.default_diluent_ml
        if size is None or volume is None or size <= 0 or volume <= 0:
            raise ValidationError("give the vial's size and the diluent volume (more than 0)", "vial")
        hours = use_within if use_within is not None else use_within_hours(product.reconstitution)
        if hours is None:  # never left open for weeks, the oldest vial drawn from first
            raise ValidationError(
                f"the catalogue gives no use-within time for {product.name} once mixed: give the"
                " label's hours (--use-within HOURS, or Use within in the window)",
                "use_within",
            )
        if hours <= 0:
            raise ValidationError("a use-within time is more than 0 hours", "use_within")
        row = OpenedPackage(
            lot=lot,
            kind=PackageKind.VIAL,
            size=size,
            diluent_ml=volume,
            diluent=diluent.strip() or DEFAULT_DILUENT,
            opened_at=mixed_at,
            opened_by=db.actor,
            discard_by=mixed_at + timedelta(hours=hours),
        )
        return _opened(session, db, row, product)


def open_syringe(
    db: Database,
    product_name: str,
    lot_number: str,
    size: Decimal | None = None,
    opened_at: datetime | None = None,
) -> Package:
    """Record a filler syringe opened: it stays open, across visits, until it is finished."""
    opened_at = opened_at or utcnow()
    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        product = ProductLookup(session).product(product_name)
        if product.dose_unit is not DoseUnit.MILLILITRES:
            raise ValidationError(
                f"{product.name} comes in vials, not syringes: mix a vial instead", "product"
            )
        lot = _registered_lot(session, product, lot_number)
        _check_opening(opened_at, lot, db.timezone)
        size = size or lot.package_size or product.package_size
        if size is None or size <= 0:
            raise ValidationError("give the syringe's size in mL (more than 0)", "size")
        row = OpenedPackage(
            lot=lot,
            kind=PackageKind.SYRINGE,
            size=size,
            diluent_ml=None,
            opened_at=opened_at,
            opened_by=db.actor,
        )
        return _opened(session, db, row, product)


def finish_package(
    db: Database, package_id: int, wasted: bool = False, at: datetime | None = None
) -> Package:
    """The vial or syringe is used up, or its rest thrown away (`wasted`): nothing more is
    charted from it, and what is left in it is wastage."""
    at = at or utcnow()
    with db.factory.begin() as session:
        require(db, session, Permission.CHART)
        row = session.get(OpenedPackage, package_id)
        if row is None:
            raise NotFoundError(f"no vial or syringe {package_id} (see: aliquot vials, aliquot syringes)")
        if row.finished_at is not None:
            raise ValidationError(
                f"{row.kind.value} {row.id} was already finished at {_local(row.finished_at, db.timezone)}",
                "package",
            )
        if at < row.opened_at:
            raise ValidationError(
                f"{row.kind.value} {row.id} was opened only at {_local(row.opened_at, db.timezone)}"
            )
        row.finished_at = at
        row.finished_by = db.actor
        row.finish = PackageFinish.WASTED if wasted else PackageFinish.USED_UP
        [package] = packages_of(session, [row])
        record_event(
            session,
            db.actor,
            "finish-package",
            "lot",
            row.lot_id,
            package=row.id,
            finish=row.finish.value,
            rest=str(package.left),
        )
        return package


def open_packages(db: Database, at: datetime | None = None, kind: PackageKind | None = None) -> list[Package]:
    """The vials and syringes open now (or at `at`), the latest opened first."""
    moment = at or utcnow()
    with db.factory() as session:
        query = select(OpenedPackage).where(*_usable_at(moment))
        if kind is not None:
            query = query.where(OpenedPackage.kind == kind)
        rows = session.scalars(query.order_by(OpenedPackage.opened_at.desc(), OpenedPackage.id.desc())).all()
        return packages_of(session, rows)


def _usable_at(moment: datetime) -> tuple[ColumnElement[bool], ...]:
    """What Package.usable_at says, in SQL (a clinic mixes thousands of vials a year: only
    those open at the moment are read)."""
    return (
        OpenedPackage.finished_at.is_(None) | (OpenedPackage.finished_at >= moment),
        OpenedPackage.discard_by.is_(None) | (OpenedPackage.discard_by >= moment),
        OpenedPackage.opened_at <= moment + MIXED_DURING_VISIT,
    )


def _lot_packages(session: Session, lot_ids: set[int], moment: datetime) -> dict[int, list[OpenedPackage]]:
    """The packages of these lots open at the moment, the oldest first; a lot with packages
    recorded but none open maps to its latest one alone (to say why it cannot be charted)."""
    found: dict[int, list[OpenedPackage]] = defaultdict(list)
    if not lot_ids:
        return found
    rows = session.scalars(
        select(OpenedPackage)
        .where(OpenedPackage.lot_id.in_(lot_ids), *_usable_at(moment))
        .order_by(OpenedPackage.opened_at, OpenedPackage.id)
        # Two workstations drawing from one vial at once take turns (PostgreSQL; SQLite's
        # writes already do), so neither draws what the other just took.
        .with_for_update()
    )
    for row in rows:
        found[row.lot_id].append(row)
    for lot_id in lot_ids - set(found):
        latest = session.scalar(
            select(OpenedPackage)
            .where(OpenedPackage.lot_id == lot_id)
            .order_by(OpenedPackage.opened_at.desc(), OpenedPackage.id.desc())
            .limit(1)
        )
        if latest is not None:
            found[lot_id].append(latest)
    return found


def draw_points(
    session: Session, points: Sequence[InjectionPoint], started_at: datetime, visit_id: int, zone: ZoneInfo
) -> None:
    """Link each point to the vial or syringe it was drawn from. A lot whose packages are
    recorded is charted from only while one is open at the visit, and a point only from
    one with enough left (the oldest such), else the visit is refused with what is left
    (times in the clinic's zone `zone`)."""
    by_lot = _lot_packages(session, _lot_ids(points), started_at)
    if not by_lot:
        return
    rows = [row for rows in by_lot.values() for row in rows]
    drawn = drawn_from(session, (row.id for row in rows), except_visit=visit_id)
    packages = {row.id: _package(row, drawn.get(row.id, Decimal(0))) for row in rows}
    left = {package_id: package.left for package_id, package in packages.items()}
    for position, point in enumerate(points, start=1):
        lot_id = point.lot.id if point.lot is not None else point.lot_id
        if lot_id not in by_lot:
            continue
        usable = [packages[row.id] for row in by_lot[lot_id] if packages[row.id].usable_at(started_at)]
        if not usable:
            raise ValidationError(_none_open(packages[by_lot[lot_id][-1].id], started_at, zone), "lot")
        chosen = drawn_first(usable, point.amount, left)
        if chosen is None:
            unit = usable[0].unit
            held = "; ".join(
                f"{p.name}: {format_dose(max(left[p.id], Decimal(0)), unit)} left of {format_dose(p.size, unit)}"
                for p in usable
            )
            raise ValidationError(
                f"point {position}: {format_dose(point.amount, unit)} of {usable[0].product} lot {usable[0].lot}"
                f" is more than is left in its open {usable[0].kind.value} ({held});"
                f" {_record_next(usable[0].kind)}, or correct the dose (a dose taken from two"
                f" {usable[0].kind.value}s is charted as two points)",
                "amount",
            )
        left[chosen.id] -= point.amount
        point.package_id = chosen.id


def _none_open(latest: Package, started_at: datetime, zone: ZoneInfo) -> str:
    what = "vial mixed" if latest.kind is PackageKind.VIAL else "syringe opened"
    why = (
        f"was finished at {_local(latest.finished_at, zone)}"
        if latest.finished_at is not None and latest.finished_at < started_at
        else f"was to be used by {_local(latest.discard_by, zone)}"
        if latest.discard_by is not None and latest.discard_by < started_at
        else f"was opened only at {_local(latest.opened_at, zone)}"
    )
    return (
        f"lot {latest.lot} of {latest.product}: its {what} at {_local(latest.opened_at, zone)} {why};"
        f" {_record_next(latest.kind)} before charting from it"
    )


def _record_next(kind: PackageKind) -> str:
    if kind is PackageKind.VIAL:
        return "record the next vial mixed (Safety ▸ Stock ▸ Open vials and syringes, or aliquot vials mix)"
    return (
        "record the next syringe opened (Safety ▸ Stock ▸ Open vials and syringes, or aliquot syringes open)"
    )


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def _lot_ids(points: Iterable[InjectionPoint]) -> set[int]:
    """The points' lots (a point not flushed yet knows its lot, not yet its lot id)."""
    ids = {p.lot.id if p.lot is not None else p.lot_id for p in points}
    return {lot_id for lot_id in ids if lot_id is not None}


def visit_packages(db: Database, visit_id: int) -> list[tuple[Package, Decimal]]:
    """The vials and syringes a stored visit's points were drawn from, each with what the
    visit drew from it (for its record)."""
    with db.factory() as session:
        if session.get(Visit, visit_id) is None:
            raise NotFoundError(f"no visit with id {visit_id}")
        here = dict(
            session.execute(
                select(InjectionPoint.package_id, func.sum(InjectionPoint.amount))
                .where(InjectionPoint.visit_id == visit_id, InjectionPoint.package_id.is_not(None))
                .group_by(InjectionPoint.package_id)
            ).all()
        )
        rows = session.scalars(
            select(OpenedPackage)
            .where(OpenedPackage.id.in_(here))
            .order_by(OpenedPackage.opened_at, OpenedPackage.id)
        ).all()
        return [(package, Decimal(here[package.id])) for package in packages_of(session, rows)]


def packages_in_use(db: Database, at: datetime) -> dict[tuple[str, str], list[Package]]:
    """For each product and lot, its packages open at `at`, the oldest first: what a dose
    charted then is drawn from (`drawn_first`), so that the editor can say a dose's volume
    in the vial it will come from, and what is left."""
    in_use: dict[tuple[str, str], list[Package]] = defaultdict(list)
    for package in sorted(open_packages(db, at), key=lambda p: (p.opened_at, p.id)):
        in_use[(package.product, package.lot)].append(package)
    return dict(in_use)


def drawn_first(packages: Sequence[Package], amount: Decimal, left: dict[int, Decimal]) -> Package | None:
    """The package a dose is drawn from: the oldest open one with enough left (an old vial
    is used up before a new one); None when none has."""
    return next((p for p in packages if left[p.id] >= amount), None)


def dose_words(packages: Sequence[Package], amount: Decimal) -> list[str]:
    """What the editor says of a dose of an open lot: the vial or syringe it will be drawn
    from, its volume there, and a warning when the lot's open vials differ in
    concentration (the same units are then a different volume in each)."""
    chosen = drawn_first(packages, amount, {p.id: p.left for p in packages})
    unit = packages[0].unit
    if chosen is None:
        return [
            f"No open {packages[0].kind.value} of this lot has {format_dose(amount, unit)} left"
            f" ({'; '.join(p.left_words() for p in packages)}): record the next one opened before saving"
        ]
    lines = []
    if chosen.diluent_ml is not None:
        lines.append(f"{chosen.volume_words(amount)}, from {chosen.name} ({chosen.concentration})")
    lines.append(f"From {chosen.left_words()} (as last saved)")
    concentrations = {p.concentration for p in packages if p.diluent_ml is not None}
    if len(concentrations) > 1:
        lines.append(
            f"⚠ The open vials of this lot differ in concentration ({', '.join(sorted(concentrations))}):"
            f" draw this dose from {chosen.name}"
        )
    return lines
