"""The bundled product catalogue (resources/catalogue.json): its shape, read once.

The products seeded into a new clinic's database, the sizes each comes in, and the
ingredients the allergy checks look for all come from this one reading. It is shared:
callers read it and never change it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Required, TypedDict

import resources

CATALOGUE_FILE = "catalogue.json"


class CatalogueIngredient(TypedDict):
    name: str  # as the allergens of resources/guardrails.json name it
    source: str


class CatalogueProduct(TypedDict, total=False):
    """One product as the catalogue lists it; amounts are decimal text ("2.5")."""

    name: Required[str]
    manufacturer: str
    generic_name: str
    kind: Required[str]  # a ProductKind value
    dose_unit: Required[str]  # a DoseUnit value
    package_size: str | None
    package_sizes: list[str]
    default_diluent_ml: str | None
    reconstitution: str | None
    interval_min_days: int | None
    interval_max_days: int | None
    max_dose_per_visit: str | None
    colour: str
    ingredients: list[CatalogueIngredient]
    source: str


class Catalogue(TypedDict):
    catalogue_version: int
    products: Sequence[CatalogueProduct]


@cache
def bundled_catalogue() -> Catalogue:
    """The catalogue as shipped, read on first use."""
    with resources.path(CATALOGUE_FILE).open(encoding="utf-8") as handle:
        catalogue: Catalogue = json.load(handle)
    return catalogue
