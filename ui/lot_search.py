"""Lot recall: every patient, visit, site and amount from one lot (a manufacturer's recall),
searched by the lot number or by a scan of the box's GS1 barcode, and exported to CSV with
the columns of `aliquot lot LOT --format csv`."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.lots import RECALL_COLUMNS, LotUse, lot_recall, recall_rows
from app.storage.database import Database
from app.storage.files import csv_bytes, write_atomically_bytes
from models.base import format_amount
from models.errors import ValidationError
from models.gs1 import looks_like_scan, parse_gs1
from models.regions import REGIONS
from ui.table_model import Column, RecordTableModel, record_table
from ui.tasks import TaskRunner

REFUSED_STYLE = "QLabel {color: #8e0016}"


def lot_of(typed: str) -> str:
    """The lot number typed, or the lot of a GS1 box scan typed into the field (a scanner
    types "01…" or "]d2…"); ValidationError when a scan is not one."""
    text = typed.strip()
    if looks_like_scan(text):
        return parse_gs1(text).lot
    return text


def summary_of(lot: str, uses: list[LotUse]) -> str:
    patients = len({u.chart_number for u in uses})
    return (
        f"Lot {lot}: {len(uses)} injection{'s' if len(uses) != 1 else ''},"
        f" {patients} patient{'s' if patients != 1 else ''}"
    )


def _site(code: str) -> str:
    region = REGIONS.get(code)
    return region.label if region is not None else code


class LotSearchWindow(QMainWindow):
    def __init__(
        self, database: Database, product_names: list[str], parent=None, tasks: TaskRunner | None = None
    ):
        super().__init__(parent)
        self.database = database
        if tasks is None:  # a window made on its own: its failures are said in it
            tasks = TaskRunner(self)
            tasks.failed.connect(self._refused)
        self.tasks = tasks
        self.setWindowTitle("Lot recall — Aliquot")
        self.resize(1150, 700)
        self.uses: list[LotUse] = []
        self.searched_lot = ""

        self.lot = QLineEdit()
        self.lot.setPlaceholderText("lot number, or scan the box")
        self.lot.setAccessibleName("Lot number")
        self.lot.returnPressed.connect(self.search)
        self.product = QComboBox()
        self.product.setAccessibleName("Product")
        self.set_products(product_names)
        self.search_button = QPushButton("Search")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_csv)
        self.report_button = QPushButton("Recall report PDF…")
        self.report_button.setEnabled(False)
        self.report_button.clicked.connect(self.export_report)
        row = QHBoxLayout()
        row.addWidget(QLabel("&Lot:", buddy=self.lot))
        row.addWidget(self.lot, 2)
        row.addWidget(QLabel("&Product:", buddy=self.product))
        row.addWidget(self.product, 1)
        row.addWidget(self.search_button)
        row.addStretch(0)
        row.addWidget(self.export_button)
        row.addWidget(self.report_button)

        self.model: RecordTableModel[LotUse] = RecordTableModel(
            [
                Column("Chart", lambda u: u.chart_number),
                Column("Patient", lambda u: u.patient_name),
                Column("Phone", lambda u: u.phone or "—"),
                Column("Visit", lambda u: str(u.visit_id), align_right=True),
                Column("Date", lambda u: u.visit_day.isoformat()),
                Column("Signed", lambda u: "yes" if u.signed else "no"),
                Column("Product", lambda u: u.product),
                Column("Lot", lambda u: u.lot),
                Column("Expiry", lambda u: u.expiry.isoformat() if u.expiry else "—"),
                Column("Site", lambda u: _site(u.region_code), tooltip=lambda u: u.region_code),
                Column("Amount", lambda u: f"{format_amount(u.amount)} {u.unit}", align_right=True),
                Column("Aliquots", lambda u: str(u.aliquots), align_right=True),
            ],
            self,
        )
        self.table = record_table(self.model, one_row=False, fit_columns=False)
        self.summary = QLabel("Type a lot number or scan the box, then Search.")
        self.summary.setAccessibleName("Summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        hint = QLabel("Visits corrected by an amendment are left out: the amendment stands for them.")
        hint.setStyleSheet("color: #666")
        layout.addWidget(hint)
        self.setCentralWidget(body)

    def set_products(self, names: list[str]) -> None:
        chosen = self.product.currentData()
        self.product.clear()
        self.product.addItem("Any product", None)
        for name in names:
            self.product.addItem(name, name)
        self.product.setCurrentIndex(max(0, self.product.findData(chosen)))

    @classmethod
    def ask_save_path(cls, parent, suggested: str) -> Path | None:
        """Tests replace this; where the CSV goes."""
        path, _ = QFileDialog.getSaveFileName(parent, "Export lot recall", suggested, "CSV files (*.csv)")
        return Path(path) if path else None

    def search(self) -> None:
        try:
            lot = lot_of(self.lot.text())
        except ValidationError as refused:
            self._refused(str(refused))
            return
        if lot != self.lot.text().strip():
            self.lot.setText(lot)  # the scan's lot, as the list and the file name show it
        self.summary.setStyleSheet("")
        self.summary.setText(f"Searching lot {lot}…")
        self.search_button.setEnabled(False)
        self.tasks.run(
            "lot-recall",
            partial(lot_recall, self.database, lot, self.product.currentData()),
            partial(self._found, lot),
            refused=self._refused,
            owner=self,
            ended=lambda: self.search_button.setEnabled(True),
            failed=self._refused,
        )

    def _found(self, lot: str, uses: list[LotUse]) -> None:
        self.uses, self.searched_lot = uses, lot
        self.model.set_records(uses)
        self.table.resizeColumnsToContents()
        self.summary.setStyleSheet("")
        self.summary.setText(summary_of(lot, uses))
        self.export_button.setEnabled(bool(uses))
        self.report_button.setEnabled(bool(uses))

    def _refused(self, message: str) -> None:
        self.uses, self.searched_lot = [], ""
        self.model.set_records([])
        self.export_button.setEnabled(False)
        self.summary.setStyleSheet(REFUSED_STYLE)
        self.summary.setText(f"Not found: {message}")

    def export_csv(self) -> None:
        if not self.uses:
            return
        path = self.ask_save_path(self, f"lot-{self.searched_lot}.csv")
        if path is None:
            return
        content = csv_bytes(RECALL_COLUMNS, recall_rows(self.uses))
        self.export_button.setEnabled(False)
        self.tasks.run(
            "lot-export",
            partial(write_atomically_bytes, path, content, replace=True),
            lambda written: self.summary.setText(
                summary_of(self.searched_lot, self.uses) + f" — written to {written}"
            ),
            refused=lambda message: self._export_failed(message),
            owner=self,
            ended=lambda: self.export_button.setEnabled(bool(self.uses)),
            failed=self._export_failed,
        )

    def export_report(self) -> None:
        """The recall report as PDF (the same lines, with the phone to call)."""
        from app.exports.records import lot_recall_pdf

        if not self.uses:
            return
        path = self.ask_save_path(self, f"lot-{self.searched_lot}-recall.pdf")
        if path is None:
            return
        lot, product = self.searched_lot, self.product.currentData()

        def write() -> Path:
            return write_atomically_bytes(path, lot_recall_pdf(self.database, lot, product), replace=True)

        self.tasks.run(
            "lot-report",
            write,
            lambda written: self.summary.setText(
                summary_of(lot, self.uses) + f" — report written to {written}"
            ),
            refused=self._export_failed,
            failed=self._export_failed,
            owner=self,
        )

    def _export_failed(self, message: str) -> None:
        self.summary.setText(summary_of(self.searched_lot, self.uses) + f" — not written: {message}")

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.tasks.wait()
        super().closeEvent(event)
