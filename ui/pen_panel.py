"""The pen: the product, dose and technique that the next click on the face places."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
)

from models.base import normalize_amount
from models.chart import Pen
from models.records import ProductRecord
from models.vocabulary import Depth, DoseUnit, ProductKind, Technique

GAUGES = ["30G", "32G", "31G", "27G", "25G", "22G"]
NEW_LOT = "New lot…"


def default_pen(product: ProductRecord) -> Pen:
    """Label-like defaults: 4 U toxins, Dysport 10 U, Daxxify 8 U, fillers 0.1 mL."""
    toxin = product.kind == ProductKind.NEUROMODULATOR.value
    amounts = {"Dysport": Decimal(10), "Daxxify": Decimal(8)}
    amount = amounts.get(product.name, Decimal(4) if product.dose_unit is DoseUnit.UNITS else Decimal("0.1"))
    return Pen(
        product_name=product.name, unit=product.dose_unit, amount=amount, aliquots=1,
        depth=Depth.INTRAMUSCULAR if toxin else Depth.SUBDERMAL,
        technique=Technique.NEEDLE, gauge="30G" if toxin else "27G",
    )


def decimal_of(spin: QDoubleSpinBox) -> Decimal:
    return normalize_amount(Decimal(f"{spin.value():.3f}"))


def optional(vocabulary, value):
    """A combo box's data back as its vocabulary (combo boxes hand back plain strings)."""
    return vocabulary(value) if value else None


def vocabulary_combo(vocabulary) -> QComboBox:
    """A choice of depth, technique…, with "—" for "not recorded"."""
    combo = QComboBox()
    combo.addItem("—", None)
    for member in vocabulary:
        combo.addItem(member.value, member)
    return combo


class PenPanel(QGroupBox):
    pen_changed = Signal(object)  # Pen
    lots_wanted = Signal(str)  # product name: the editor answers with set_lots()

    def __init__(self, products: list[ProductRecord], parent=None):
        super().__init__("Pen: what a click places", parent)
        self.products = {p.name: p for p in products}
        self._loading = False
        form = QFormLayout(self)
        self.product = QComboBox()
        for kind in ProductKind:
            names = [p.name for p in products if p.kind == kind.value]
            if names:
                self.product.addItem(f"— {kind.value} —")
                self.product.model().item(self.product.count() - 1).setEnabled(False)
                for name in names:
                    self.product.addItem(name, name)
        self.amount = QDoubleSpinBox(decimals=3, minimum=0.001, maximum=9999)
        self.aliquots = QSpinBox(minimum=1, maximum=99)
        self.depth = vocabulary_combo(Depth)
        self.technique = vocabulary_combo(Technique)
        self.gauge = QComboBox(editable=True)
        self.gauge.addItems(GAUGES)
        self.lot = QComboBox()
        self.new_lot_number = QLineEdit(placeholderText="lot number")
        # No default expiry: the date on the box must be typed, never guessed. The
        # minimum date stands for "not entered yet".
        self.new_lot_expiry = QDateEdit(calendarPopup=True, displayFormat="yyyy-MM-dd")
        self.new_lot_expiry.setMinimumDate(QDate(2000, 1, 1))
        self.new_lot_expiry.setSpecialValueText("enter expiry")
        self.new_lot_expiry.setDate(self.new_lot_expiry.minimumDate())
        form.addRow("Product", self.product)
        form.addRow("Amount", self.amount)
        form.addRow("Aliquots", self.aliquots)
        form.addRow("Depth", self.depth)
        form.addRow("Technique", self.technique)
        form.addRow("Gauge", self.gauge)
        form.addRow("Lot", self.lot)
        form.addRow("New lot", self.new_lot_number)
        form.addRow("Expires", self.new_lot_expiry)

        self.product.currentIndexChanged.connect(self._product_chosen)
        for signal in (self.amount.valueChanged, self.aliquots.valueChanged,
                       self.depth.currentIndexChanged, self.technique.currentIndexChanged,
                       self.gauge.currentTextChanged, self.lot.currentIndexChanged,
                       self.new_lot_number.textChanged, self.new_lot_expiry.dateChanged):
            signal.connect(self._changed)

    def choose_product(self, name: str) -> None:
        self.product.setCurrentIndex(self.product.findData(name))

    def _product_chosen(self) -> None:
        name = self.product.currentData()
        if name is None:
            return
        pen = default_pen(self.products[name])
        self._loading = True
        unit = pen.unit.value
        self.amount.setSuffix(f" {unit}")
        self.amount.setSingleStep(1.0 if pen.unit is DoseUnit.UNITS else 0.05)
        self.amount.setValue(float(pen.amount))
        self.aliquots.setValue(1)
        self.depth.setCurrentIndex(self.depth.findData(pen.depth))
        self.technique.setCurrentIndex(self.technique.findData(pen.technique))
        self.gauge.setCurrentText(pen.gauge)
        self.lot.clear()
        self._loading = False
        self.lots_wanted.emit(name)
        self._changed()

    def set_lots(self, product_name: str, lots) -> None:
        """The product's lots usable on the visit date, soonest expiry first."""
        if product_name != self.product.currentData():
            return
        self._loading = True
        self.lot.clear()
        for lot in lots:
            expiry = lot.expiry.isoformat() if lot.expiry else "no expiry"
            self.lot.addItem(f"{lot.number} (exp. {expiry})", (lot.number, lot.expiry))
        self.lot.addItem(NEW_LOT, None)
        self.lot.addItem("No lot (flagged)", "")
        self._loading = False
        self._changed()

    def pen(self) -> Pen | None:
        name = self.product.currentData()
        if name is None:
            return None
        product = self.products[name]
        lot_number, lot_expiry = None, None
        chosen = self.lot.currentData()
        if isinstance(chosen, tuple):
            lot_number, lot_expiry = chosen
        elif chosen is None and self.lot.currentText() == NEW_LOT and self.new_lot_number.text().strip():
            lot_number = self.new_lot_number.text().strip()
            entered = self.new_lot_expiry.date()
            lot_expiry = None if entered == self.new_lot_expiry.minimumDate() else entered.toPython()
        self.new_lot_number.setEnabled(self.lot.currentText() == NEW_LOT)
        self.new_lot_expiry.setEnabled(self.lot.currentText() == NEW_LOT)
        return Pen(
            product_name=name, unit=product.dose_unit, amount=decimal_of(self.amount),
            # Combo boxes hand back plain strings: turn them into the vocabulary again.
            aliquots=self.aliquots.value(), depth=optional(Depth, self.depth.currentData()),
            technique=optional(Technique, self.technique.currentData()),
            gauge=self.gauge.currentText().strip().upper(),
            lot_number=lot_number, lot_expiry=lot_expiry,
        )

    def _changed(self, *_args) -> None:
        if not self._loading:
            pen = self.pen()
            if pen is not None:
                self.pen_changed.emit(pen)
