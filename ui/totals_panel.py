"""Live totals of the chart being edited: per product, left against right, per region."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtWidgets import QLabel, QTabWidget, QTableView, QVBoxLayout, QWidget

from models.amounts import format_dose
from models.records import ChartedPoint, ProductRecord, ProductTotal
from models.regions import REGIONS
from models.totals import SideTotals, describe_packages, totals_by_product, totals_by_region, totals_by_side
from ui.face_scene import lot_flag
from ui.table_model import Column, RecordTableModel


def difference_text(side: SideTotals) -> str:
    difference = side.left_minus_right
    if difference == 0:
        return "even"
    return f"{format_dose(abs(difference), side.unit)} more {'left' if difference > 0 else 'right'}"


@dataclass(frozen=True)
class RegionRow:
    region_label: str
    total: ProductTotal


class TotalsPanel(QWidget):
    def __init__(self, products: dict[str, ProductRecord], parent=None):
        super().__init__(parent)
        self.products = products
        colour = lambda name: products[name].colour if name in products else None
        self.product_model: RecordTableModel[ProductTotal] = RecordTableModel([
            Column("Product", lambda t: t.product_name, colour=lambda t: colour(t.product_name)),
            Column("Total", lambda t: format_dose(t.amount, t.unit), align_right=True),
            Column("Aliquots", lambda t: str(t.aliquots), align_right=True),
            Column("Uses", lambda t: describe_packages(
                t.amount, products[t.product_name].package_size if t.product_name in products else None, t.unit)),
        ], self)
        self.side_model: RecordTableModel[SideTotals] = RecordTableModel([
            Column("Product", lambda s: s.product_name, colour=lambda s: colour(s.product_name)),
            Column("Left", lambda s: format_dose(s.left, s.unit), align_right=True),
            Column("Right", lambda s: format_dose(s.right, s.unit), align_right=True),
            Column("Midline", lambda s: format_dose(s.midline, s.unit), align_right=True),
            Column("Left − right", difference_text),
        ], self)
        self.region_model: RecordTableModel[RegionRow] = RecordTableModel([
            Column("Region", lambda r: r.region_label),
            Column("Product", lambda r: r.total.product_name, colour=lambda r: colour(r.total.product_name)),
            Column("Amount", lambda r: format_dose(r.total.amount, r.total.unit), align_right=True),
            Column("Aliquots", lambda r: str(r.total.aliquots), align_right=True),
        ], self)
        tabs = QTabWidget()
        for model, title in ((self.product_model, "Per product"), (self.side_model, "Left / right"),
                             (self.region_model, "Per region")):
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

    def show_chart(self, points: list[ChartedPoint], visit_date: date | None) -> None:
        self.product_model.set_records(totals_by_product(points))
        self.side_model.set_records(totals_by_side(points))
        self.region_model.set_records([
            RegionRow(REGIONS[code].label, total)
            for code, totals in totals_by_region(points).items() for total in totals])
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
