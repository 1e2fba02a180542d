"""The inspector: the selected point(s), edited together. Each edit is one undo step."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QLineEdit

from app.services.packages import dose_words
from models.errors import ValidationError
from models.records import ChartedPoint
from models.regions import REGIONS
from models.vocabulary import Depth, Technique
from ui.point_form import add_lots, add_point_rows, optional

MIXED = "(several values)"


class Inspector(QGroupBox):
    # field name of ChartedPoint, new value: the editor applies it to every selected point
    edit_requested = Signal(str, object)
    lots_wanted = Signal(str)

    def __init__(self, parent=None):
        super().__init__("Selected points", parent)
        self._loading = False
        self.points: list[ChartedPoint] = []
        form = QFormLayout(self)
        self.summary = QLabel("Click a point on the face to select it; drag to select several.")
        self.summary.setWordWrap(True)
        form.addRow(self.summary)
        # (product, lot) -> its open vials or syringes, the oldest first (app/services/packages.py)
        self.packages: dict[tuple[str, str], list[Any]] = {}
        # "4 U = 0.1 mL = 10 units on a U-100 insulin syringe", then what is left in the vial
        self.volume = QLabel()
        self.volume.setWordWrap(True)
        self.volume.setAccessibleName("Volume of the dose and what is left in the vial or syringe")
        self.volume.hide()
        form.addRow(self.volume)
        # 0 aliquots stands for "the selected points differ"; a real count is 1 or more.
        self.gauge = QLineEdit()
        rows = add_point_rows(form, self.gauge, min_aliquots=0)
        self.amount, self.aliquots, self.depth = rows.amount, rows.aliquots, rows.depth
        self.technique, self.lot = rows.technique, rows.lot
        self.aliquots.setSpecialValueText(MIXED)
        self.notes = QLineEdit()
        form.addRow("Notes", self.notes)

        self.amount.line.editingFinished.connect(self._amount_edited)
        self.aliquots.valueChanged.connect(lambda v: v >= 1 and self._edit("aliquots", v))
        self.depth.activated.connect(lambda _: self._edit("depth", optional(Depth, self.depth.currentData())))
        self.technique.activated.connect(
            lambda _: self._edit("technique", optional(Technique, self.technique.currentData()))
        )
        # editingFinished also fires on Enter or focus loss without typing: only a field
        # the user actually typed in may overwrite the selected points.
        self.gauge.editingFinished.connect(
            lambda: self.gauge.isModified() and self._edit("gauge", self.gauge.text().strip().upper())
        )
        self.lot.activated.connect(self._lot_chosen)
        self.notes.editingFinished.connect(
            lambda: self.notes.isModified() and self._edit("notes", self.notes.text())
        )
        self.show_points([])

    def _common(self, field: str):
        values = {getattr(p, field) for p in self.points}
        return values.pop() if len(values) == 1 else MIXED

    def show_points(self, points: list[ChartedPoint]) -> None:
        self._loading = True
        self.points = points
        for widget in (
            self.amount,
            self.aliquots,
            self.depth,
            self.technique,
            self.gauge,
            self.lot,
            self.notes,
        ):
            widget.setEnabled(bool(points))
        self.amount.show_refusal(None)
        self.aliquots.setSpecialValueText(MIXED if points else " ")
        if not points:
            self.aliquots.setValue(0)
            self.summary.setText("Click a point on the face to select it; drag to select several.")
            self.amount.set_unit(None)
            self.amount.set_amount(None)
            self.gauge.clear()
            self.notes.clear()
            self._loading = False
            return
        regions = sorted({REGIONS[p.region_code].label for p in points})
        products = sorted({p.product_name for p in points})
        self.summary.setText(
            f"{len(points)} point{'s' if len(points) > 1 else ''}: "
            f"{', '.join(products)} — {', '.join(regions[:4])}"
            f"{'…' if len(regions) > 4 else ''}"
        )
        units = {p.unit for p in points}
        # A number typed for Botox and filler points at once would be units and mL at once.
        self.amount.set_unit(
            units.pop() if len(units) == 1 else None, products[0] if len(products) == 1 else ""
        )
        amount = self._common("amount")
        self.amount.set_amount(amount if amount != MIXED else None)
        self.amount.line.setPlaceholderText(MIXED if amount == MIXED else "")
        aliquots = self._common("aliquots")
        self.aliquots.setValue(aliquots if aliquots != MIXED else 0)
        for combo, field in ((self.depth, "depth"), (self.technique, "technique")):
            value = self._common(field)
            combo.setCurrentIndex(combo.findData(value) if value != MIXED else 0)
        gauge = self._common("gauge")
        self.gauge.setText(gauge if gauge != MIXED else "")
        notes = self._common("notes")
        self.notes.setText(notes if notes != MIXED else "")
        self.lot.clear()
        lot = self._common("lot_number")
        self.lot.addItem((lot or "no lot") if lot != MIXED else MIXED, "keep")
        self.lot.setEnabled(len(products) == 1)
        self._show_volume()
        for field in (self.amount.line, self.gauge, self.notes):
            field.setModified(False)
        self._loading = False
        if len(products) == 1:
            self.lots_wanted.emit(products[0])

    def set_packages(self, packages: dict[tuple[str, str], list[Any]]) -> None:
        """The vials and syringes open at the visit, by product and lot: a point of one of
        those lots shows what its dose is in the syringe and what is left."""
        self.packages = packages
        if self.points:
            self._show_volume()

    def _show_volume(self) -> None:
        """Points of one open lot with one dose: the vial or syringe a save draws it from,
        its volume there, and what is left in it as last saved."""
        keys = {(p.product_name, p.lot_number or "") for p in self.points}
        amounts = {p.amount for p in self.points}
        packages = self.packages.get(keys.pop(), []) if len(keys) == 1 else []
        lines = dose_words(packages, amounts.pop()) if packages and len(amounts) == 1 else []
        self.volume.setText("\n".join(lines))
        self.volume.setVisible(bool(lines))

    def set_lots(self, product_name: str, lots) -> None:
        if not self.points or {p.product_name for p in self.points} != {product_name}:
            return
        add_lots(self.lot, lots)

    def _lot_chosen(self, _index: int) -> None:
        chosen = self.lot.currentData()
        if isinstance(chosen, tuple):
            self._edit("lot", chosen)

    def _typed_amount(self) -> Decimal:
        if self.amount.unit is None:
            raise ValidationError(
                "the selected points are dosed in different units (U and mL):"
                " select one product's points to change their amount",
                "amount",
            )
        return self.amount.amount()

    def _amount_edited(self) -> None:
        line = self.amount.line
        if not line.text().strip() or self._loading or not line.isModified():
            return
        try:
            amount = self._typed_amount()
        except ValidationError as error:
            self.amount.show_refusal(str(error))
            return
        if amount != self._common("amount"):
            self._edit("amount", amount)

    def take_pending(self) -> tuple[list[tuple[str, object]], str | None]:
        """Text typed in a field and not yet committed (no Enter, no focus change): the edits
        it makes to the points shown, and why a typed amount cannot be applied. The editor
        applies them before the inspector shows other points, so nothing typed is lost."""
        pending: list[tuple[str, object]] = []
        refused = None
        if self._loading or not self.points:
            return pending, refused
        typed = self.amount.line
        if typed.isModified() and typed.text().strip():
            try:
                amount = self._typed_amount()
                if amount != self._common("amount"):
                    pending.append(("amount", amount))
            except ValidationError as error:
                refused = f"The amount typed ({typed.text().strip()}) was not applied: {error}."
                self.amount.show_refusal(str(error))
        if self.gauge.isModified():
            pending.append(("gauge", self.gauge.text().strip().upper()))
        if self.notes.isModified():
            pending.append(("notes", self.notes.text()))
        # a refused amount stays pending: a save asks for it again (showing other points resets it)
        for line in (self.gauge, self.notes) if refused else (typed, self.gauge, self.notes):
            line.setModified(False)
        return pending, refused

    def _edit(self, field: str, value) -> None:
        if not self._loading and self.points:
            self.edit_requested.emit(field, value)  # the editor takes the other typed fields along

    @staticmethod
    def apply(point: ChartedPoint, field: str, value) -> ChartedPoint:
        """The point with one inspector field changed."""
        if field == "lot":
            number, expiry, package_size = value
            return replace(point, lot_number=number, lot_expiry=expiry, lot_package_size=package_size)
        if field == "amount":
            return replace(point, amount=Decimal(value))
        return replace(point, **{field: value})
