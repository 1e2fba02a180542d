"""Stock: what the clinic received of each lot, what charting used, what was written off,
and so what is on hand.

A lot's stock starts with its first delivery recorded here. What charting used is read from
the visits charted from then on (not imported ones: those were given elsewhere), so a point
removed or corrected gives its amount back, and an amendment counts instead of the visit it
corrects. Where the clinic records its vials and syringes (app/services/packages.py), the
rest of one finished or past its discard-by time is wastage too, and what is left in the
open ones is shown apart. Amounts are in the product's own unit (U of that brand, or mL).

A box's GS1 barcode, scanned into `--gs1` or a lot field, gives the lot and expiry; its GTIN
names the product once the clinic has mapped it (`map_barcode`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.services.audit import record_event
from app.services.catalogue import package_sizes
from app.services.packages import LotPackages, packages_by_lot
from app.services.users import require
from app.services.visits import ProductLookup, local_date
from app.storage.database import Database
from models.accounts import Permission
from models.amounts import format_dose
from models.base import stored_moment, utcnow
from models.errors import NotFoundError, ValidationError
from models.gs1 import parse_gs1
from models.signed_content import superseded
from models.tables import (
    AppMeta,
    InjectionPoint,
    Lot,
    Product,
    ProductBarcode,
    StockMovement,
    Visit,
)

EXPIRY_WARNING_DAYS = 30
WRITE_OFF_REASONS = ("wasted", "expired", "broken")
THRESHOLDS_KEY = "stock_thresholds"  # app_meta: product name -> low-stock amount
NO_PACKAGES = LotPackages(Decimal(0), Decimal(0), 0)


@dataclass(frozen=True)
class Received:
    product: str
    lot: str
    expiry: date | None
    packages: int
    amount: Decimal
    unit: str


def map_barcode(db: Database, gtin: str, product_name: str) -> None:
    """The clinic says once which product a box's GTIN is."""
    gtin = gtin.strip()
    if not (gtin.isdigit() and len(gtin) in (8, 12, 13, 14)):
        raise ValidationError(f"{gtin!r} is not a GTIN (8, 12, 13 or 14 digits)", "gtin")
    gtin = gtin.zfill(14)
    with db.factory.begin() as session:
        require(db, session, Permission.STOCK)
        product = ProductLookup(session).product(product_name)
        mapped = session.get(ProductBarcode, gtin)
        if mapped is None:
            session.add(ProductBarcode(gtin=gtin, product_id=product.id))
        else:
            mapped.product_id = product.id
        record_event(session, db.actor, "map-barcode", "product", product.id, gtin=gtin)


def barcode_products(db: Database) -> dict[str, str]:
    """Every GTIN the clinic mapped, with its product's name: a box scanned while charting
    is checked against the product it is charted as."""
    with db.factory() as session:
        return dict(
            session.execute(
                select(ProductBarcode.gtin, Product.name).join(
                    Product, Product.id == ProductBarcode.product_id
                )
            ).all()
        )


def receive_stock(
    db: Database,
    product_name: str | None,
    lot_number: str | None,
    expiry: date | None,
    packages: int,
    package_size: Decimal | None = None,
    supplier: str = "",
    gs1: str | None = None,
    received_on: date | None = None,
) -> Received:
    """A delivery: `packages` vials or syringes of a lot, each of `package_size` (the lot's
    or the product's usual size when not given), received today or on `received_on`. A
    scanned GS1 barcode gives product, lot and expiry; an expired lot is refused, with what
    was read."""
    if packages < 1:
        raise ValidationError("a delivery has at least one vial or syringe", "quantity")
    with db.factory.begin() as session:
        require(db, session, Permission.STOCK)
        lookup = ProductLookup(session)
        if gs1:
            scan = parse_gs1(gs1)
            mapped = session.get(ProductBarcode, scan.gtin)
            if mapped is None:
                raise NotFoundError(
                    f"the box's GTIN {scan.gtin} is not mapped to a product yet"
                    f" (lot {scan.lot}, expiry {scan.expiry or 'none'}): aliquot stock map {scan.gtin} PRODUCT"
                )
            product = session.get_one(Product, mapped.product_id)
            if product_name is not None and lookup.product(product_name).id != product.id:
                raise ValidationError(f"the scanned box is {product.name}, not {product_name}", "product")
            lot_number, expiry = scan.lot, scan.expiry or expiry
        elif product_name is None or not lot_number:
            raise ValidationError("name the product and its lot, or scan the box", "lot")
        else:
            product = lookup.product(product_name)
        assert lot_number is not None
        today = local_date(utcnow(), db.timezone)
        if expiry is not None and expiry < today:
            raise ValidationError(
                f"lot {lot_number} of {product.name} expired on {expiry.isoformat()}", "expiry"
            )
        lot = lookup.lot(product, lot_number, expiry, package_size)
        size = package_size or lot.package_size or product.package_size
        if size is None:
            raise ValidationError(
                f"give the size of each vial or syringe of {product.name} (--package), one of"
                f" {', '.join(format_dose(s, product.dose_unit) for s in package_sizes(product))}",
                "package",
            )
        amount = size * packages
        if received_on is not None and received_on > today:
            raise ValidationError(f"a delivery on {received_on.isoformat()} has not come yet", "received")
        session.add(
            StockMovement(
                lot_id=lot.id,
                at=datetime.combine(received_on, time(), db.timezone) if received_on else utcnow(),
                kind="received",
                packages=packages,
                amount=amount,
                supplier=supplier.strip(),
                notes="",
                by=db.actor,
            )
        )
        record_event(
            session,
            db.actor,
            "receive",
            "lot",
            lot.id,
            product=product.name,
            packages=packages,
            amount=str(amount),
        )
        return Received(product.name, lot.number, lot.expiry, packages, amount, product.dose_unit.value)


def write_off(
    db: Database, product_name: str, lot_number: str, amount: Decimal, reason: str = "wasted", notes: str = ""
) -> None:
    """Stock that left other than into a patient, and not as the rest of a recorded vial or
    syringe (finishing one counts its rest already): wasted, expired, broken."""
    if reason not in WRITE_OFF_REASONS:
        raise ValidationError(f"a write-off is {', '.join(WRITE_OFF_REASONS)}", "reason")
    if amount <= 0:
        raise ValidationError("the amount written off is more than 0", "amount")
    with db.factory.begin() as session:
        require(db, session, Permission.STOCK)
        product = ProductLookup(session).product(product_name)
        lot = session.scalar(
            select(Lot).where(Lot.product_id == product.id, Lot.number == lot_number.strip())
        )
        if lot is None:
            raise NotFoundError(f"no lot {lot_number} of {product.name} is registered")
        session.add(
            StockMovement(
                lot_id=lot.id, kind=reason, amount=-amount, supplier="", notes=notes.strip(), by=db.actor
            )
        )
        record_event(
            session,
            db.actor,
            "write-off",
            "lot",
            lot.id,
            product=product.name,
            amount=str(amount),
            reason=reason,
        )


def set_threshold(db: Database, product_name: str, amount: Decimal | None) -> None:
    """Below this much on hand (all lots), the product is low."""
    with db.factory.begin() as session:
        require(db, session, Permission.STOCK)
        product = ProductLookup(session).product(product_name)
        stored = session.get(AppMeta, THRESHOLDS_KEY)
        thresholds = json.loads(stored.value) if stored is not None else {}
        if amount is None:
            thresholds.pop(product.name, None)
        else:
            thresholds[product.name] = str(amount)
        if stored is None:
            session.add(AppMeta(key=THRESHOLDS_KEY, value=json.dumps(thresholds)))
        else:
            stored.value = json.dumps(thresholds)
        record_event(
            session, db.actor, "update", "settings", THRESHOLDS_KEY, product=product.name, amount=str(amount)
        )


@dataclass(frozen=True)
class LotStock:
    product: str
    unit: str
    lot: str
    expiry: date | None
    received: Decimal
    charted: Decimal
    written_off: Decimal
    package_size: Decimal | None
    # The rest of its vials and syringes finished or past their discard-by time
    left_in_finished: Decimal = Decimal(0)
    # What is left in the open ones: on hand, but no longer sealed
    left_in_open: Decimal = Decimal(0)
    open_packages: int = 0

    @property
    def wasted(self) -> Decimal:
        return self.written_off + self.left_in_finished

    @property
    def on_hand(self) -> Decimal:
        return self.received - self.charted - self.wasted

    @property
    def packages_on_hand(self) -> Decimal | None:
        return None if not self.package_size else self.on_hand / self.package_size


@dataclass(frozen=True)
class StockReport:
    lots: list[LotStock]
    warnings: list[str]  # expiring within 30 days, products below their threshold


def stock_on_hand(db: Database, today: date | None = None) -> StockReport:
    """Every lot with stock recorded: received, used by charting, written off, on hand; and
    the warnings (a lot expiring within 30 days, a product below its threshold)."""
    today = today or local_date(utcnow(), db.timezone)
    now = utcnow()
    with db.factory() as session:
        opened = packages_by_lot(session, now)
        moved = session.execute(
            select(
                StockMovement.lot_id,
                func.min(StockMovement.at),
                func.sum(StockMovement.amount).filter(StockMovement.kind == "received"),
                func.sum(StockMovement.amount).filter(StockMovement.kind != "received"),
            ).group_by(StockMovement.lot_id)
        ).all()
        lots: list[LotStock] = []
        for lot_id, first_at, received, out in moved:
            lot = session.get_one(Lot, lot_id)
            # From the day of the first delivery on (a morning's visits charted after the
            # delivery was entered count too).
            since = datetime.combine(local_date(stored_moment(first_at), db.timezone), time(), db.timezone)
            charted = session.scalar(
                select(func.coalesce(func.sum(InjectionPoint.amount), 0))
                .join(Visit, Visit.id == InjectionPoint.visit_id)
                .where(
                    InjectionPoint.lot_id == lot_id,
                    Visit.started_at >= since,
                    Visit.imported.is_(False),
                    ~superseded(),
                )
            )
            product = lot.product
            packages = opened.get(lot_id, NO_PACKAGES)
            lots.append(
                LotStock(
                    product.name,
                    product.dose_unit.value,
                    lot.number,
                    lot.expiry,
                    Decimal(received or 0),
                    Decimal(charted or 0),
                    -Decimal(out or 0),
                    lot.package_size or product.package_size,
                    packages.left_in_closed,
                    packages.left_in_open,
                    packages.open_count,
                )
            )
        stored = session.get(AppMeta, THRESHOLDS_KEY)
        thresholds = {
            name: Decimal(value) for name, value in (json.loads(stored.value) if stored else {}).items()
        }
    lots.sort(key=lambda s: (s.product, s.expiry or date.max, s.lot))
    warnings = [
        f"{s.product} lot {s.lot} expires on {s.expiry.isoformat()}"
        + (" (expired)" if s.expiry < today else f", in {(s.expiry - today).days} days")
        + f": {format_dose(s.on_hand, s.unit)} on hand"
        for s in lots
        if s.expiry is not None and s.on_hand > 0 and s.expiry <= today + timedelta(days=EXPIRY_WARNING_DAYS)
    ]
    for name, threshold in sorted(thresholds.items()):
        total = sum(
            (s.on_hand for s in lots if s.product == name and (s.expiry is None or s.expiry >= today)),
            Decimal(0),
        )
        unit = next((s.unit for s in lots if s.product == name), "")
        if total < threshold:
            low = (
                f"{format_dose(total, unit)} on hand, below {format_dose(threshold, unit)}"
                if unit
                else "none on hand"
            )
            warnings.append(f"{name} is low: {low}")
    return StockReport(lots, warnings)
