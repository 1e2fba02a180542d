"""The form rows a point is described with, shared by the pen (what the next click places)
and the inspector (the selected points): amount, aliquots, depth, technique, gauge, lot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, TypeVar

from PySide6.QtWidgets import QComboBox, QFormLayout, QLineEdit, QSpinBox

from models.errors import ValidationError
from models.gs1 import Gs1Scan, looks_like_scan, parse_gs1
from models.validation import MAX_ALIQUOTS
from models.vocabulary import Depth, Technique
from ui.amount_field import AmountField
from ui.date_field import DateField

E = TypeVar("E", bound=Enum)


class LotLike(Protocol):
    number: str
    expiry: Any
    package_size: Any


def optional(vocabulary: type[E], value: Any) -> E | None:
    """A combo box's data back as its vocabulary (combo boxes hand back plain strings)."""
    return vocabulary(value) if value else None


def vocabulary_combo(vocabulary: type[Enum]) -> QComboBox:
    """A choice of depth, technique…, with "—" for "not recorded"."""
    combo = QComboBox()
    combo.addItem("—", None)
    for member in vocabulary:
        combo.addItem(member.value, member)
    return combo


def scanned_into(
    lot: QLineEdit, expiry: DateField, product: str | None = None, barcodes: Mapping[str, str] | None = None
) -> Gs1Scan | None:
    """A box's GS1 barcode a scanner typed into a lot field: the field gets the lot and the
    expiry field the box's expiry. None when the text is no scan; ValidationError, with what
    was read, when it is one that cannot be read, or the box of another product than
    `product` (by the clinic's GTIN mapping, `barcodes`)."""
    if not looks_like_scan(lot.text()):
        return None
    scan = parse_gs1(lot.text())
    scanned = (barcodes or {}).get(scan.gtin)
    if product is not None and scanned is not None and scanned != product:
        raise ValidationError(f"the scanned box is {scanned}, not {product}: scan a box of {product}", "lot")
    lot.setText(scan.lot)
    if scan.expiry is not None:
        expiry.set_date(scan.expiry)
    return scan


def add_lots(combo: QComboBox, lots: Iterable[LotLike]) -> None:
    """The lots as choices: "number (exp. date)", holding (number, expiry, package size)."""
    for lot in lots:
        expiry = lot.expiry.isoformat() if lot.expiry else "no expiry"
        combo.addItem(f"{lot.number} (exp. {expiry})", (lot.number, lot.expiry, lot.package_size))


@dataclass
class PointRows:
    amount: AmountField
    aliquots: QSpinBox
    depth: QComboBox
    technique: QComboBox
    gauge: QComboBox | QLineEdit
    lot: QComboBox


def add_point_rows(form: QFormLayout, gauge: QComboBox | QLineEdit, min_aliquots: int = 1) -> PointRows:
    """Amount, Aliquots, Depth, Technique, Gauge and Lot, in that order, added to `form`.
    The gauge is the caller's (the pen offers a list, the inspector a free field); an
    inspector's aliquots start at 0, its "several values"."""
    rows = PointRows(
        amount=AmountField(),
        aliquots=QSpinBox(minimum=min_aliquots, maximum=MAX_ALIQUOTS),
        depth=vocabulary_combo(Depth),
        technique=vocabulary_combo(Technique),
        gauge=gauge,
        lot=QComboBox(),
    )
    form.addRow("Amount", rows.amount)
    form.addRow("Aliquots", rows.aliquots)
    form.addRow("Depth", rows.depth)
    form.addRow("Technique", rows.technique)
    form.addRow("Gauge", rows.gauge)
    form.addRow("Lot", rows.lot)
    return rows
