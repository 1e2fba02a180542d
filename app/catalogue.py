"""The product catalogue: seeded once from resources/catalogue.json, then the clinic's own."""

from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import resources
from app.audit import record_event
from models.records import ProductRecord
from models.tables import AppMeta, Product
from models.text import fold
from models.vocabulary import DoseUnit, ProductKind

CATALOGUE_FILE = "catalogue.json"
SEEDED_KEY = "catalogue_version"


def load_catalogue_file() -> dict:
    with resources.path(CATALOGUE_FILE).open(encoding="utf-8") as handle:
        return json.load(handle)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def seed_catalogue(factory: sessionmaker[Session], actor: str) -> int:
    """Add the bundled products this database has not been seeded with yet.

    Runs on every start; it adds nothing once the database holds this catalogue version,
    so products the clinic renamed or retired are never brought back. Returns how many
    products were added.
    """
    data = load_catalogue_file()
    version = str(data["catalogue_version"])
    with factory.begin() as session:
        seeded = session.get(AppMeta, SEEDED_KEY)
        if seeded is not None and int(seeded.value) >= int(version):
            return 0
        known = set(session.scalars(select(Product.name_key)))
        added = []
        for item in data["products"]:
            if fold(item["name"]) in known:
                continue
            session.add(product_from_catalogue(item))
            added.append(item["name"])
        session.merge(AppMeta(key=SEEDED_KEY, value=version))
        record_event(session, actor, "seed", "catalogue", version, added=added)
        return len(added)


def product_from_catalogue(item: dict) -> Product:
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
