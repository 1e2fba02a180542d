"""The pen: the product, dose and technique that the next click on the face places."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLineEdit

from models.amounts import format_dose
from models.chart import Pen
from models.dates import Century
from models.errors import ValidationError
from models.gs1 import looks_like_scan, parse_gs1
from models.records import ProductRecord
from models.vocabulary import Depth, DoseUnit, ProductKind, Technique
from ui.date_field import DateField, years_from_today
from ui.point_form import add_lots, add_point_rows, optional, scanned_into

GAUGES = ["30G", "32G", "31G", "27G", "25G", "22G"]
NEW_LOT = "New lot…"


def default_pen(product: ProductRecord) -> Pen:
    """Label-like defaults: 4 U toxins, Dysport 10 U, Daxxify 8 U, fillers 0.1 mL."""
    toxin = product.kind == ProductKind.NEUROMODULATOR.value
    amounts = {"Dysport": Decimal(10), "Daxxify": Decimal(8)}
    amount = amounts.get(product.name, Decimal(4) if product.dose_unit is DoseUnit.UNITS else Decimal("0.1"))
    return Pen(
        product_name=product.name,
        unit=product.dose_unit,
        amount=amount,
        aliquots=1,
        depth=Depth.INTRAMUSCULAR if toxin else Depth.SUBDERMAL,
        technique=Technique.NEEDLE,
        gauge="30G" if toxin else "27G",
    )


def package_label(size: Decimal, unit: DoseUnit) -> str:
    """'50 U vial', '1 mL syringe': toxins and enzymes come in vials, fillers in syringes."""
    return f"{format_dose(size, unit)} {unit.package}"


class PenPanel(QGroupBox):
    pen_changed = Signal(object)  # Pen
    lots_wanted = Signal(str)  # product name: the editor answers with set_lots()

    def __init__(self, products: list[ProductRecord], parent=None):
        super().__init__("Pen: what a click places", parent)
        self.products = {p.name: p for p in products}
        self._loading = False
        self._preferred_lot: tuple[str, str] | None = None  # (product, lot number) to pick when listed
        form = QFormLayout(self)
        self.product = QComboBox()
        for kind in ProductKind:
            names = [p.name for p in products if p.kind == kind.value]
            if names:
                self.product.addItem(f"— {kind.value} —")
                self.product.model().item(self.product.count() - 1).setEnabled(False)
                for name in names:
                    self.product.addItem(name, name)
        form.addRow("Product", self.product)
        self.gauge = QComboBox(editable=True)
        self.gauge.addItems(GAUGES)
        rows = add_point_rows(form, self.gauge)
        self.amount, self.aliquots, self.depth = rows.amount, rows.aliquots, rows.depth
        self.technique, self.lot = rows.technique, rows.lot
        self.new_lot_number = QLineEdit(placeholderText="lot number, or scan the box")
        # A scanner types the box's GS1 barcode and Enter: its lot and expiry fill the fields.
        self.new_lot_number.editingFinished.connect(self._read_scan)
        # No default expiry: the date on the box must be typed, never guessed.
        self.new_lot_expiry = DateField(
            Century.FUTURE, years_from_today(1), month_end=True
        )  # stock expires a year or two ahead
        self.new_lot_size = QComboBox()  # the product's package sizes: a 50 U or a 100 U vial
        self.new_lot_size.setAccessibleName("New lot's vial or syringe size")
        self.refusal: str | None = None  # why the pen cannot place a point, if it cannot
        self.barcodes: dict[str, str] = {}  # GTIN -> product, as the clinic mapped its boxes
        form.addRow("New lot", self.new_lot_number)
        form.addRow("Expires", self.new_lot_expiry)
        form.addRow("Size", self.new_lot_size)

        self.product.currentIndexChanged.connect(self._product_chosen)
        for signal in (
            self.amount.text_edited,
            self.aliquots.valueChanged,
            self.depth.currentIndexChanged,
            self.technique.currentIndexChanged,
            self.gauge.currentTextChanged,
            self.lot.currentIndexChanged,
            self.new_lot_number.textChanged,
            self.new_lot_expiry.edited,
            self.new_lot_size.currentIndexChanged,
        ):
            signal.connect(self._changed)

    def choose_product(self, name: str, lot_number: str | None = None) -> None:
        """Put the pen on a product; with `lot_number`, that lot is picked once the
        product's lots are listed (if it is among them), instead of the first one."""
        self._preferred_lot = (name, lot_number) if lot_number else None
        self.product.setCurrentIndex(self.product.findData(name))

    def _product_chosen(self) -> None:
        name = self.product.currentData()
        if name is None:
            return
        pen = default_pen(self.products[name])
        self._loading = True
        self.amount.set_unit(pen.unit, name)
        self.amount.set_amount(pen.amount)
        self.aliquots.setValue(1)
        self.depth.setCurrentIndex(self.depth.findData(pen.depth))
        self.technique.setCurrentIndex(self.technique.findData(pen.technique))
        self.gauge.setCurrentText(pen.gauge)
        self._list_package_sizes(self.products[name])
        self.lot.clear()
        self._loading = False
        self.lots_wanted.emit(name)
        self._changed()

    def _list_package_sizes(self, product: ProductRecord) -> None:
        """A new lot's size: one the product comes in, its default size chosen."""
        self.new_lot_size.clear()
        for size in product.package_sizes:
            self.new_lot_size.addItem(package_label(size, product.dose_unit), size)
        if product.package_size in product.package_sizes:  # findData cannot match a Decimal
            self.new_lot_size.setCurrentIndex(product.package_sizes.index(product.package_size))

    def set_lots(self, product_name: str, lots) -> None:
        """The product's lots usable on the visit date, soonest expiry first."""
        if product_name != self.product.currentData():
            return
        self._loading = True
        self.lot.clear()
        add_lots(self.lot, lots)
        self.lot.addItem(NEW_LOT, None)
        self.lot.addItem("No lot (flagged)", "")
        if self._preferred_lot is not None and self._preferred_lot[0] == product_name:
            numbers = [lot.number for lot in lots]
            if self._preferred_lot[1] in numbers:
                self.lot.setCurrentIndex(numbers.index(self._preferred_lot[1]))
        self._loading = False
        self._changed()

    def _read_scan(self) -> None:
        self._loading = True
        try:
            scan = scanned_into(
                self.new_lot_number, self.new_lot_expiry, self.product.currentData(), self.barcodes
            )
        except ValidationError:
            scan = None  # the pen says why it cannot place (pen())
        if scan is not None:
            numbers = [
                lot[0] if isinstance(lot, tuple) else None
                for lot in map(self.lot.itemData, range(self.lot.count()))
            ]
            if scan.lot in numbers:  # a lot already registered: chosen as it is
                self.lot.setCurrentIndex(numbers.index(scan.lot))
        self._loading = False
        if scan is not None:
            self._changed()

    def pen(self) -> Pen | None:
        """What a click places; None when no product is chosen or a typed field is not
        understood (`refusal` then says why)."""
        name = self.product.currentData()
        self.new_lot_number.setEnabled(self.lot.currentText() == NEW_LOT)
        self.new_lot_expiry.setEnabled(self.lot.currentText() == NEW_LOT)
        self.new_lot_size.setEnabled(self.lot.currentText() == NEW_LOT)
        self.refusal = None
        if name is None:
            return None
        product = self.products[name]
        try:
            amount = self.amount.amount()
        except ValueError as refused:
            self.refusal = f"The pen's amount is not a dose: {refused}."
            return None
        if self.lot.currentText() == NEW_LOT and looks_like_scan(self.new_lot_number.text()):
            try:  # a scan not read yet (no Enter after it), or one that cannot be
                scan = parse_gs1(self.new_lot_number.text())
                other = self.barcodes.get(scan.gtin)
                self.refusal = (
                    f"The scanned box is {other}, not {name}: scan a box of {name}."
                    if other is not None and other != name
                    else "Press Enter after the scan to read the box's lot and expiry."
                )
            except ValidationError as refused:
                self.refusal = f"The scanned box could not be read: {str(refused).rstrip('.')}."
            return None
        try:
            lot_number, lot_expiry, lot_package_size = self._chosen_lot()
        except ValueError as refused:
            self.refusal = f"The new lot's expiry is not a date: {refused}."
            return None
        return Pen(
            product_name=name,
            unit=product.dose_unit,
            amount=amount,
            # Combo boxes hand back plain strings: turn them into the vocabulary again.
            aliquots=self.aliquots.value(),
            depth=optional(Depth, self.depth.currentData()),
            technique=optional(Technique, self.technique.currentData()),
            gauge=self.gauge.currentText().strip().upper(),
            lot_number=lot_number,
            lot_expiry=lot_expiry,
            lot_package_size=lot_package_size,
        )

    def _chosen_lot(self) -> tuple[str | None, date | None, Decimal | None]:
        """(number, expiry, package size) of the lot chosen, or typed as a new one."""
        chosen = self.lot.currentData()
        if isinstance(chosen, tuple):
            return chosen
        if chosen is None and self.lot.currentText() == NEW_LOT and self.new_lot_number.text().strip():
            return (
                self.new_lot_number.text().strip(),
                self.new_lot_expiry.date(),
                self.new_lot_size.currentData(),
            )
        return None, None, None

    def _changed(self, *_args) -> None:
        """Every change is announced, a pen that cannot place (None) too: a click never
        places the last good pen's dose after the field was changed."""
        if not self._loading:
            self.pen_changed.emit(self.pen())
