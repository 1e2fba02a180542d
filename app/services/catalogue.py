"""The product catalogue: seeded once from resources/catalogue.json, then the clinic's own."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.services.audit import record_event
from app.services.changes import Changes, note
from models.catalogue import CatalogueProduct, bundled_catalogue
from models.records import ProductRecord
from models.tables import AppMeta, Product
from models.text import fold
from models.vocabulary import DoseUnit, ProductKind

SEEDED_KEY = "catalogue_seeded"  # JSON list of fold(name) of every bundled product ever added


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def seed_catalogue(factory: sessionmaker[Session], actor: str) -> int:
    """Add the bundled products this database has never been given.

    Runs on every start. A product is offered once: one the clinic renamed or retired
    is never brought back, while a product new in a later catalogue is added. Returns
    how many products were added. Nothing new to offer: it only reads (no write lock).
    """
    data = bundled_catalogue()
    bundled = {fold(item["name"]): item for item in data["products"]}
    with factory() as session:
        if set(bundled) <= _offered(session):
            return 0
    with factory.begin() as session:
        offered = _offered(session)  # again under the write lock: another program may have seeded
        if set(bundled) <= offered:
            return 0
        present = set(session.scalars(select(Product.name_key)))
        added = []
        for key, item in bundled.items():
            if key not in offered and key not in present:
                session.add(product_from_catalogue(item))
                added.append(item["name"])
        session.merge(
            AppMeta(key=SEEDED_KEY, value=json.dumps(sorted(offered | set(bundled)), ensure_ascii=False))
        )
        record_event(session, actor, "seed", "catalogue", data["catalogue_version"], added=added)
        note(session, Changes(catalogue=True))
        return len(added)


def _offered(session: Session) -> set[str]:
    record = session.get(AppMeta, SEEDED_KEY)
    return set(json.loads(record.value)) if record is not None else set()


def product_from_catalogue(item: CatalogueProduct) -> Product:
    return Product(
        name=item["name"],
        name_key=fold(item["name"]),
        manufacturer=item.get("manufacturer") or "",
        generic_name=item.get("generic_name") or "",
        kind=ProductKind(item["kind"]),
        dose_unit=DoseUnit(item["dose_unit"]),
        package_size=_decimal(item.get("package_size")),
        default_diluent_ml=_decimal(item.get("default_diluent_ml")),
        reconstitution=item.get("reconstitution"),
        interval_min_days=item.get("interval_min_days"),
        interval_max_days=item.get("interval_max_days"),
        max_dose_per_visit=_decimal(item.get("max_dose_per_visit")),
        colour=item.get("colour") or "#555555",
        source=item.get("source") or "",
        active=True,
    )


@cache
def _catalogue_package_sizes() -> dict[str, tuple[Decimal, ...]]:
    """Per fold(name) of a bundled product, every size it comes in (catalogue.json)."""
    return {
        fold(item["name"]): tuple(Decimal(size) for size in item.get("package_sizes") or ())
        for item in bundled_catalogue()["products"]
    }


def package_sizes(product: Product) -> tuple[Decimal, ...]:
    """The vial or syringe sizes a product comes in, smallest first: its catalogue sizes
    and its default size (a product the clinic added itself has that one alone)."""
    sizes = set(_catalogue_package_sizes().get(product.name_key, ()))
    if product.package_size:
        sizes.add(product.package_size)
    return tuple(sorted(sizes))


def product_record(product: Product) -> ProductRecord:
    return ProductRecord(
        id=product.id,
        name=product.name,
        manufacturer=product.manufacturer,
        generic_name=product.generic_name,
        kind=product.kind.value,
        dose_unit=product.dose_unit,
        package_size=product.package_size,
        default_diluent_ml=product.default_diluent_ml,
        reconstitution=product.reconstitution,
        interval_min_days=product.interval_min_days,
        interval_max_days=product.interval_max_days,
        max_dose_per_visit=product.max_dose_per_visit,
        colour=product.colour,
        active=product.active,
        package_sizes=package_sizes(product),
    )


def list_products(factory: sessionmaker[Session], include_inactive: bool = False) -> list[ProductRecord]:
    """The catalogue, neuromodulators first, then fillers, biostimulators and enzymes."""
    order = {kind: i for i, kind in enumerate(ProductKind)}
    with factory() as session:
        query = select(Product)
        if not include_inactive:
            query = query.where(Product.active.is_(True))
        products = [product_record(p) for p in session.scalars(query)]
    return sorted(products, key=lambda p: (order[ProductKind(p.kind)], p.name.casefold()))
