"""A charted point's fields, declared once, and the JSON they are written as.

One table (POINT_FIELDS) names each field of a point: its attribute on `ChartedPoint` and
`PointDraft`, its key in a file, what kind of value it holds, and whether a file must give
it or what it is when left out. Two JSON shapes are written and read from the table:

- the stored shape, flat, of recovery files (app/storage/autosave.py) and the clinic's
  own templates (app/services/templates.py): `point_to_data` / `point_from_data`;
- the interchange shape of aliquot.patient/1 (docs/interchange.md), where the lot's fields
  are one object `{"number", "expiry", "package_size"}`: `point_document` writes it, and
  app/exports/interchange.py reads it with the file checks (POINT_KEYS, LOT_KEYS, ...).

Both shapes are fixed by files already written: the table changes neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

from models.base import format_amount
from models.records import ChartedPoint
from models.vocabulary import Depth, DoseUnit, Technique, View


class Kind(Enum):
    CHOICE = "a value of a closed vocabulary"
    UNIT = "a dose unit (a file's is checked against the product's)"
    NUMBER = "a number from 0 to 1 (a place on the drawing)"
    TEXT = "one line of text"
    FREE_TEXT = "text of several lines"
    AMOUNT = "an amount, written as text: '4', '0.25'"
    COUNT = "a whole number"
    DATE = "a date, written 2027-01-31"


@dataclass(frozen=True)
class PointField:
    attribute: str  # on ChartedPoint and PointDraft
    key: str  # in the stored shape, and in the interchange shape unless part of the lot
    kind: Kind
    required: bool = True  # False: a file may leave it out (or give null), and it is `default`
    default: Any = None
    vocabulary: type[StrEnum] | None = None
    lot_key: str | None = None  # in the interchange shape: the key inside the "lot" object


POINT_FIELDS: tuple[PointField, ...] = (
    PointField("view", "view", Kind.CHOICE, vocabulary=View),
    PointField("x", "x", Kind.NUMBER),
    PointField("y", "y", Kind.NUMBER),
    PointField("region_code", "region", Kind.TEXT),
    PointField("product_name", "product", Kind.TEXT),
    PointField("lot_number", "lot", Kind.TEXT, required=False, lot_key="number"),
    PointField("lot_expiry", "lot_expiry", Kind.DATE, required=False, lot_key="expiry"),
    # absent in stored points written before lots had a size; in a file, absent is unknown
    PointField("lot_package_size", "lot_package_size", Kind.AMOUNT, required=False, lot_key="package_size"),
    PointField("amount", "amount", Kind.AMOUNT),
    PointField("unit", "unit", Kind.UNIT, vocabulary=DoseUnit),
    PointField("aliquots", "aliquots", Kind.COUNT, required=False, default=1),
    PointField("depth", "depth", Kind.CHOICE, required=False, vocabulary=Depth),
    PointField("technique", "technique", Kind.CHOICE, required=False, vocabulary=Technique),
    PointField("gauge", "gauge", Kind.TEXT, required=False, default=""),
    PointField("notes", "notes", Kind.FREE_TEXT, required=False, default=""),
)
FIELDS = {field.attribute: field for field in POINT_FIELDS}

# The interchange shape: the lot's fields are one object under "lot".
LOT_FIELDS = tuple(field for field in POINT_FIELDS if field.lot_key is not None)
POINT_KEYS = frozenset({field.key for field in POINT_FIELDS if field.lot_key is None} | {"lot"})
REQUIRED_POINT_KEYS = frozenset(field.key for field in POINT_FIELDS if field.required)
LOT_KEYS = frozenset(field.lot_key for field in LOT_FIELDS if field.lot_key is not None)
REQUIRED_LOT_KEYS = frozenset({"number"})  # a lot is its number; expiry and size may be unknown


# ---------------------------------------------------------------- the stored shape


def _stored(field: PointField, value: Any) -> Any:
    if value is None:
        return None
    if field.kind in (Kind.CHOICE, Kind.UNIT):
        return value.value
    if field.kind is Kind.AMOUNT:
        return str(value)
    if field.kind is Kind.DATE:
        return value.isoformat()
    return value


def _from_stored(field: PointField, raw: Any) -> Any:
    if field.kind in (Kind.CHOICE, Kind.UNIT, Kind.DATE, Kind.AMOUNT) and not raw:
        if field.required:
            raise ValueError(f"a stored point has no {field.key}")
        return field.default
    if field.kind in (Kind.CHOICE, Kind.UNIT):
        assert field.vocabulary is not None
        return field.vocabulary(raw)
    if field.kind is Kind.AMOUNT:
        return Decimal(raw)
    if field.kind is Kind.DATE:
        return date.fromisoformat(raw)
    return raw


def point_to_data(point: ChartedPoint) -> dict[str, Any]:
    """A point as plain JSON values (recovery files, clinic templates)."""
    return {field.key: _stored(field, getattr(point, field.attribute)) for field in POINT_FIELDS}


def point_from_data(data: Mapping[str, Any]) -> ChartedPoint:
    """A stored point; a field left out takes its default (KeyError for a required one)."""
    values = {
        field.attribute: _from_stored(
            field, data[field.key] if field.required else data.get(field.key, field.default)
        )
        for field in POINT_FIELDS
    }
    return ChartedPoint(**values)


# ---------------------------------------------------------------- the interchange shape


def _written(field: PointField, value: Any) -> Any:
    return format_amount(value) if field.kind is Kind.AMOUNT and value is not None else _stored(field, value)


def _lot_document(point: ChartedPoint) -> dict[str, Any] | None:
    if point.lot_number is None:
        return None
    lot: dict[str, Any] = {}
    for field in LOT_FIELDS:
        value = getattr(point, field.attribute)
        if value is not None or field.kind is not Kind.AMOUNT:  # a lot of unknown size: no "package_size"
            lot[str(field.lot_key)] = _written(field, value)
    return lot


def point_document(point: ChartedPoint) -> dict[str, Any]:
    """A point as aliquot.patient/1 writes it: amounts as text ('4', '0.1'), the lot as an
    object (its package size only when known), or null when no lot was recorded."""
    document: dict[str, Any] = {}
    for field in POINT_FIELDS:
        if field.lot_key is None:
            document[field.key] = _written(field, getattr(point, field.attribute))
        elif field.attribute == "lot_number":
            document["lot"] = _lot_document(point)
    return document
