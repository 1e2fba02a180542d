"""Stock: on hand per lot with its warnings (near expiry, running low), and deliveries
received here, typed or scanned from the box's GS1 barcode (app/services/stock.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.stock import LotStock, Received, StockReport, receive_stock, stock_on_hand
from app.storage.database import Database
from models.amounts import format_dose
from ui.table_model import Column, RecordTableModel
from ui.tasks import TaskRunner

WARNING_STYLE = "QLabel {color: #8e0016}"


def is_scan(text: str) -> bool:
    """What a scanner types for a GS1 box barcode: "01…" or "]d2…", longer than a lot."""
    text = text.strip()
    return (text.startswith("01") or text.startswith("]")) and len(text) > 16


class StockWindow(QMainWindow):
    def __init__(
        self,
        database: Database,
        product_names: list[str],
        parent: QWidget | None = None,
        tasks: TaskRunner | None = None,
        may_receive: bool = True,
    ):
        super().__init__(parent)
        self.setWindowTitle("Stock")
        self.database = database
        self.tasks = tasks if tasks is not None else TaskRunner(self)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(WARNING_STYLE)
        self.model: RecordTableModel[LotStock] = RecordTableModel(
            [
                Column("Product", lambda s: s.product),
                Column("Lot", lambda s: s.lot),
                Column("Expiry", lambda s: s.expiry.isoformat() if s.expiry else "—"),
                Column("On hand", lambda s: format_dose(s.on_hand, s.unit), align_right=True),
                Column(
                    "Packages",
                    lambda s: "—" if s.packages_on_hand is None else f"{s.packages_on_hand:.2f}",
                    align_right=True,
                ),
                Column("Received", lambda s: format_dose(s.received, s.unit), align_right=True),
                Column("Charted", lambda s: format_dose(s.charted, s.unit), align_right=True),
                Column("Written off", lambda s: format_dose(s.written_off, s.unit), align_right=True),
            ]
        )
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()

        self.product = QComboBox()
        self.product.addItem("From the scan", None)
        for name in product_names:
            self.product.addItem(name, name)
        self.lot = QLineEdit()
        self.lot.setPlaceholderText("lot number, or scan the box")
        self.expiry = QLineEdit()
        self.expiry.setPlaceholderText("YYYY-MM-DD (a scan gives it)")
        self.quantity = QSpinBox()
        self.quantity.setRange(1, 999)
        self.package = QLineEdit()
        self.package.setPlaceholderText("each vial's U or syringe's mL (default: usual size)")
        self.supplier = QLineEdit()
        self.receive_button = QPushButton("Receive")
        self.receive_button.setEnabled(may_receive)
        self.receive_button.clicked.connect(self.receive)
        self.message = QLabel()
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Product:", self.product)
        form.addRow("Lot or scan:", self.lot)
        form.addRow("Expiry:", self.expiry)
        form.addRow("Quantity:", self.quantity)
        form.addRow("Package size:", self.package)
        form.addRow("Supplier:", self.supplier)
        buttons = QHBoxLayout()
        buttons.addWidget(self.receive_button)
        buttons.addWidget(self.message, 1)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.warnings)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel("<b>Receive a delivery</b>"))
        layout.addLayout(form)
        layout.addLayout(buttons)
        self.setCentralWidget(body)
        self.resize(900, 600)
        self.refresh()

    def refresh(self) -> None:
        self.tasks.run("stock", partial(stock_on_hand, self.database), self._shown, owner=self)

    def _shown(self, report: StockReport) -> None:
        self.model.set_records(report.lots)
        self.table.resizeColumnsToContents()
        self.warnings.setText("\n".join(f"⚠ {w}" for w in report.warnings))
        self.warnings.setVisible(bool(report.warnings))

    def receive(self) -> None:
        typed = self.lot.text().strip()
        scan = typed if is_scan(typed) else None
        try:
            expiry = date.fromisoformat(self.expiry.text().strip()) if self.expiry.text().strip() else None
            size = Decimal(self.package.text().strip()) if self.package.text().strip() else None
        except (ValueError, InvalidOperation):
            self._refused("the expiry is a day like 2027-08-31 and the package size a number")
            return
        if size is not None and size <= 0:
            self._refused("a package size is more than 0")
            return
        self.receive_button.setEnabled(False)
        self.tasks.run(
            "stock-receive",
            partial(
                receive_stock,
                self.database,
                self.product.currentData(),
                None if scan else typed,
                expiry,
                self.quantity.value(),
                size,
                self.supplier.text(),
                scan,
            ),
            self._received,
            refused=self._refused,
            failed=self._refused,
            owner=self,
            ended=lambda: self.receive_button.setEnabled(True),
        )

    def _received(self, got: Received) -> None:
        self.message.setStyleSheet("")
        self.message.setText(
            f"Received {got.packages} × {got.product} lot {got.lot}: {format_dose(got.amount, got.unit)}"
        )
        self.lot.clear()
        self.refresh()

    def _refused(self, message: str) -> None:
        self.message.setStyleSheet(WARNING_STYLE)
        self.message.setText(f"Not received: {message}")

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.tasks.wait()
        super().closeEvent(event)
