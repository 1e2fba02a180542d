"""Live totals of the chart being edited: per product, left against right per paired area,
and per region with its left and right side by side."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableView, QTabWidget, QVBoxLayout, QWidget

from models.amounts import format_dose
from models.records import ChartedPoint, ProductRecord, ProductTotal
from models.totals import (
    PairedTotals,
    describe_difference,
    packages_by_product,
    totals_by_paired_area,
    totals_by_paired_region,
    totals_by_product,
)
from ui.table_model import Column, RecordTableModel


def paired_columns(first: str, colour: Callable[[str], str | None]) -> list[Column[PairedTotals]]:
    """Area (or region), product, the patient's left, right and midline, and the difference
    between that area's left and right (never the whole face's)."""

    def dose(side: str) -> Callable[[PairedTotals], str]:
        # The chin has no left or right side: a dash there, not "0 U".
        return lambda t: format_dose(getattr(t, side), t.unit) if t.paired or side == "midline" else "—"

    return [
        Column(first, lambda t: t.name),
        Column("Product", lambda t: t.product_name, colour=lambda t: colour(t.product_name)),
        Column("Left", dose("left"), align_right=True),
        Column("Right", dose("right"), align_right=True),
        Column("Midline", dose("midline"), align_right=True),
        Column("Left − right", describe_difference),
    ]


def side_totals_model(colour: Callable[[str], str | None], parent=None) -> RecordTableModel[PairedTotals]:
    """Left against right per paired area, one row per area and product: the same columns on
    the patient page and beside the chart being edited. Never the whole face's sum."""
    return RecordTableModel(paired_columns("Area", colour), parent)


class TotalsPanel(QWidget):
    def __init__(self, products: dict[str, ProductRecord], parent=None):
        super().__init__(parent)
        self.products = products

        def colour(name):
            return products[name].colour if name in products else None

        self._uses: dict[str, str] = {}  # per product, the vials or syringes the chart uses
        self.product_model: RecordTableModel[ProductTotal] = RecordTableModel(
            [
                Column("Product", lambda t: t.product_name, colour=lambda t: colour(t.product_name)),
                Column("Total", lambda t: format_dose(t.amount, t.unit), align_right=True),
                Column("Aliquots", lambda t: str(t.aliquots), align_right=True),
                Column("Uses", lambda t: self._uses.get(t.product_name, "")),
            ],
            self,
        )
        self.side_model = side_totals_model(colour, self)
        self.region_model: RecordTableModel[PairedTotals] = RecordTableModel(
            paired_columns("Region", colour), self
        )
        tabs = QTabWidget()
        for model, title in (
            (self.product_model, "Per product"),
            (self.side_model, "Left / right per area"),
            (self.region_model, "Per region"),
        ):
            table = QTableView()
            table.setModel(model)
            table.verticalHeader().hide()
            table.horizontalHeader().setStretchLastSection(True)
            table.resizeColumnsToContents()
            tabs.addTab(table, title)
        self.tables = tabs
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #b00020; font-weight: 600")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(tabs)
        layout.addWidget(self.warnings)
        # Safety checks (models.guardrails): amber, one line each; saving asks for a reason.
        self.safety = QLabel()
        self.safety.setWordWrap(True)
        self.safety.setTextFormat(Qt.TextFormat.RichText)
        self.safety.setAccessibleName("Safety warnings")
        layout.addWidget(self.safety)

    def show_safety(self, warnings: list) -> None:
        """Each safety warning on its line; refusals (hard ceilings) in red, first."""
        self.safety.setText(
            "<br>".join(
                f"<span style='color:{'#b00020' if w.refused else '#b34700'}'>"
                f"{'Cannot be saved: ' if w.refused else '⚠ '}{escape(str(w))}</span>"
                for w in warnings
            )
        )
        self.safety.setVisible(bool(warnings))

    def show_chart(self, points: list[ChartedPoint], visit_date: date | None) -> None:
        from ui.face_scene import lot_flag  # the face map's own rule; not loaded for the main window

        # each lot counted at its own vial size, the product's default where it is unknown
        self._uses = packages_by_product(points, {name: p.package_size for name, p in self.products.items()})
        self.product_model.set_records(totals_by_product(points))
        self.side_model.set_records(totals_by_paired_area(points))
        self.region_model.set_records(totals_by_paired_region(points))
        for index in range(self.tables.count()):
            self.tables.widget(index).resizeColumnsToContents()
        flags = [flag for flag in (lot_flag(p, visit_date) for p in points) if flag]
        missing = sum(1 for f in flags if f == "no lot recorded")
        expired = sorted({f for f in flags if f != "no lot recorded"})
        messages = []
        if missing:
            messages.append(f"{missing} point{'s have' if missing > 1 else ' has'} no lot recorded")
        messages += expired
        self.warnings.setText("; ".join(messages))
