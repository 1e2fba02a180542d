"""Stock: on hand per lot with its warnings (near expiry, running low), and deliveries
received here, typed or scanned from the box's GS1 barcode (app/services/stock.py); and the
vials and syringes open at the chair, mixed or opened and finished here
(app/services/packages.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.packages import Package, finish_package, mix_vial, open_packages, open_syringe
from app.services.stock import (
    WRITE_OFF_REASONS,
    LotStock,
    Received,
    StockReport,
    receive_stock,
    set_threshold,
    stock_on_hand,
    write_off,
)
from app.storage.database import Database
from models.amounts import format_dose, parse_amount
from models.errors import ValidationError
from models.gs1 import looks_like_scan
from models.records import ProductRecord
from models.vocabulary import DoseUnit, ProductKind
from ui.table_model import Column, RecordTableModel, record_table
from ui.tasks import TaskRunner

WARNING_STYLE = "QLabel {color: #8e0016}"


class StockWindow(QMainWindow):
    def __init__(
        self,
        database: Database,
        products: Sequence[ProductRecord],
        parent: QWidget | None = None,
        tasks: TaskRunner | None = None,
        may_receive: bool = True,
        may_open: bool = True,
    ):
        super().__init__(parent)
        self.setWindowTitle("Stock")
        self.database = database
        self.units = {p.name: p.dose_unit for p in products}
        # What is opened at the chair: toxins are mixed, mL products come in syringes.
        self.openable = [
            p.name
            for p in products
            if p.kind == ProductKind.NEUROMODULATOR or p.dose_unit is DoseUnit.MILLILITRES
        ]
        self.tasks = tasks if tasks is not None else TaskRunner(self)
        self.warnings = QLabel()
        self.warnings.setTextFormat(Qt.TextFormat.PlainText)  # lot numbers are typed or scanned
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
                Column("Wasted", lambda s: format_dose(s.wasted, s.unit), align_right=True),
                Column(
                    "In open vials/syringes",
                    lambda s: (
                        f"{format_dose(s.left_in_open, s.unit)} in {s.open_packages}"
                        if s.open_packages
                        else ""
                    ),
                    align_right=True,
                ),
            ]
        )
        self.table = record_table(self.model, fit_columns=False)

        self.product = QComboBox()
        self.product.addItem("From the scan", None)
        for name in self.units:
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
        self.message.setTextFormat(Qt.TextFormat.PlainText)
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
        lots_tab = QWidget()
        layout = QVBoxLayout(lots_tab)
        layout.addWidget(self.table, 1)
        layout.addLayout(self._lot_actions(may_receive))
        layout.addWidget(QLabel("<b>Receive a delivery</b>"))
        layout.addLayout(form)
        layout.addLayout(buttons)
        self.tabs = QTabWidget()
        self.tabs.addTab(lots_tab, "Lots on hand")
        self.tabs.addTab(self._packages_tab(may_open), "Open vials and syringes")
        body = QWidget()
        outer = QVBoxLayout(body)
        outer.addWidget(self.warnings)
        outer.addWidget(self.tabs, 1)
        self.setCentralWidget(body)
        self.resize(980, 640)
        self.refresh()

    def _lot_actions(self, may_change: bool) -> QHBoxLayout:
        """For the lot chosen in the list: write some of it off, or set its product's
        low-stock threshold."""
        self.write_off_amount = QLineEdit()
        self.write_off_amount.setPlaceholderText("amount")
        self.write_off_amount.setMaximumWidth(90)
        self.write_off_reason = QComboBox()
        for reason in WRITE_OFF_REASONS:
            self.write_off_reason.addItem(reason, reason)
        self.write_off_notes = QLineEdit()
        self.write_off_notes.setPlaceholderText("why (e.g. vial dropped)")
        self.write_off_button = QPushButton("Write off")
        self.write_off_button.clicked.connect(self.write_off_chosen)
        self.threshold = QLineEdit()
        self.threshold.setPlaceholderText("low below")
        self.threshold.setMaximumWidth(90)
        self.threshold_button = QPushButton("Set threshold")
        self.threshold_button.setToolTip("The product is low below this much on hand, all its lots together")
        self.threshold_button.clicked.connect(self.set_chosen_threshold)
        self.may_change = may_change
        self.table.selectionModel().selectionChanged.connect(self._lot_chosen)
        row = QHBoxLayout()
        for widget in (
            QLabel("Chosen lot:"),
            self.write_off_amount,
            self.write_off_reason,
            self.write_off_notes,
            self.write_off_button,
            self.threshold,
            self.threshold_button,
        ):
            row.addWidget(widget)
        self._lot_chosen()
        return row

    def chosen_lot(self) -> LotStock | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record(rows[0].row()) if rows else None

    def _lot_chosen(self, *_: object) -> None:
        chosen = self.chosen_lot() is not None and self.may_change
        for widget in (self.write_off_button, self.threshold_button):
            widget.setEnabled(chosen)

    def write_off_chosen(self) -> None:
        lot = self.chosen_lot()
        assert lot is not None
        try:
            amount = parse_amount(self.write_off_amount.text(), lot.unit, lot.product)
        except ValidationError as error:
            self._refused(str(error), "Not written off")
            return
        self.tasks.run(
            "stock-write-off",
            partial(
                write_off,
                self.database,
                lot.product,
                lot.lot,
                amount,
                self.write_off_reason.currentData(),
                self.write_off_notes.text(),
            ),
            lambda _none: self._done(
                f"Written off: {format_dose(amount, lot.unit)} of {lot.product} lot {lot.lot}"
            ),
            refused=partial(self._refused, verb="Not written off"),
            failed=partial(self._refused, verb="Not written off"),
            owner=self,
            ended=self._lot_chosen,
        )
        self.write_off_button.setEnabled(False)  # one click, one write-off

    def set_chosen_threshold(self) -> None:
        lot = self.chosen_lot()
        assert lot is not None
        typed = self.threshold.text().strip()
        try:
            amount = parse_amount(typed, lot.unit, lot.product) if typed else None
        except ValidationError as error:
            self._refused(str(error), "Not set")
            return
        said = (
            f"{lot.product} is low below {format_dose(amount, lot.unit)}"
            if amount
            else f"{lot.product}: no threshold"
        )
        self.tasks.run(
            "stock-threshold",
            partial(set_threshold, self.database, lot.product, amount),
            lambda _none: self._done(said),
            refused=partial(self._refused, verb="Not set"),
            failed=partial(self._refused, verb="Not set"),
            owner=self,
            ended=self._lot_chosen,
        )
        self.threshold_button.setEnabled(False)

    def _done(self, said: str) -> None:
        self.message.setStyleSheet("")
        self.message.setText(said)
        self.write_off_amount.clear()
        self.write_off_notes.clear()
        self.refresh()

    def _packages_tab(self, may_open: bool) -> QWidget:
        """The vials and syringes open now, what is left in each; mix or open one; finish one."""
        zone = self.database.timezone
        self.package_model: RecordTableModel[Package] = RecordTableModel(
            [
                Column("Vial or syringe", lambda p: p.name),
                Column("Product", lambda p: p.product),
                Column("Lot", lambda p: p.lot),
                Column(
                    "Left",
                    lambda p: f"{format_dose(p.left, p.unit)} of {format_dose(p.size, p.unit)}",
                    align_right=True,
                ),
                Column(
                    "Concentration",
                    lambda p: p.concentration if p.diluent_ml is not None else "",
                ),
                Column("Opened", lambda p: f"{p.opened_at.astimezone(zone):%Y-%m-%d %H:%M} by {p.opened_by}"),
                Column(
                    "Use by",
                    lambda p: f"{p.discard_by.astimezone(zone):%Y-%m-%d %H:%M}" if p.discard_by else "—",
                ),
            ]
        )
        self.package_table = record_table(self.package_model, fit_columns=False)
        self.used_up_button = QPushButton("Used up")
        self.used_up_button.setToolTip("Nothing is left: what the chart does not account for is wastage")
        self.wasted_button = QPushButton("Rest wasted")
        self.wasted_button.setToolTip("What is left is thrown away, recorded as wastage")
        for button, wasted in ((self.used_up_button, False), (self.wasted_button, True)):
            button.setEnabled(False)
            button.clicked.connect(partial(self.finish_selected, wasted))
        self.package_table.selectionModel().selectionChanged.connect(self._package_selected)
        self.may_open = may_open

        self.open_product = QComboBox()
        for name in self.openable:
            self.open_product.addItem(name, name)
        self.open_lot = QLineEdit()
        self.open_lot.setPlaceholderText("lot number")
        self.open_size = QLineEdit()
        self.open_size.setPlaceholderText("default: the lot's or usual size")
        self.open_diluent = QLineEdit()
        self.open_diluent.setPlaceholderText("mL of diluent (default: the label's)")
        self.use_within = QSpinBox()
        self.use_within.setRange(0, 24 * 30)
        self.use_within.setSuffix(" h")
        self.use_within.setSpecialValueText("the label's (catalogue)")
        self.use_within.setToolTip("Hours the mixed vial may be used: needed where the catalogue gives none")
        self.open_button = QPushButton()
        self.open_button.setEnabled(may_open)
        self.open_button.clicked.connect(self.open_package)
        self.open_product.currentIndexChanged.connect(self._open_product_chosen)
        self.package_message = QLabel()
        self.package_message.setTextFormat(Qt.TextFormat.PlainText)
        self.package_message.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Product:", self.open_product)
        form.addRow("Lot:", self.open_lot)
        form.addRow("Size:", self.open_size)
        self.diluent_label = QLabel("Diluent:")
        form.addRow(self.diluent_label, self.open_diluent)
        self.use_within_label = QLabel("Use within:")
        form.addRow(self.use_within_label, self.use_within)
        finish = QHBoxLayout()
        finish.addWidget(self.used_up_button)
        finish.addWidget(self.wasted_button)
        finish.addStretch(1)
        opening = QHBoxLayout()
        opening.addWidget(self.open_button)
        opening.addWidget(self.package_message, 1)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(self.package_table, 1)
        layout.addLayout(finish)
        layout.addWidget(QLabel("<b>Mix a vial or open a syringe</b>"))
        layout.addLayout(form)
        layout.addLayout(opening)
        self._open_product_chosen()
        return tab

    def _open_product_chosen(self, _index: int = 0) -> None:
        unit = self.units.get(self.open_product.currentData() or "")
        vial = unit is DoseUnit.UNITS
        self.open_button.setText("Mix vial" if vial else "Open syringe")
        self.open_size.setPlaceholderText(
            "U in the vial (default: the lot's or usual size)"
            if vial
            else "mL in the syringe (default: usual size)"
        )
        for widget in (self.open_diluent, self.diluent_label, self.use_within, self.use_within_label):
            widget.setVisible(vial)

    def refresh(self) -> None:
        self.tasks.run("stock", partial(stock_on_hand, self.database), self._shown, owner=self)
        self.tasks.run("packages", partial(open_packages, self.database), self._packages_shown, owner=self)

    def _packages_shown(self, packages: list[Package]) -> None:
        self.package_model.set_records(packages)
        self.package_table.resizeColumnsToContents()
        self._package_selected()

    def _package_selected(self, *_: object) -> None:
        chosen = bool(self.package_table.selectionModel().selectedRows()) and self.may_open
        self.used_up_button.setEnabled(chosen)
        self.wasted_button.setEnabled(chosen)

    def finish_selected(self, wasted: bool) -> None:
        [row] = self.package_table.selectionModel().selectedRows()
        package = self.package_model.record(row.row())
        self.tasks.run(
            "package-finish",
            partial(finish_package, self.database, package.id, wasted),
            self._finished,
            refused=self._package_refused,
            failed=self._package_refused,
            owner=self,
            ended=self._package_selected,
        )
        self.used_up_button.setEnabled(False)  # one click, one finish
        self.wasted_button.setEnabled(False)

    def _finished(self, package: Package) -> None:
        rest = format_dose(max(package.left, Decimal(0)), package.unit)
        self.package_message.setStyleSheet("")
        self.package_message.setText(
            f"{package.name.capitalize()} finished ({package.finish}): {rest} wasted"
        )
        self.refresh()

    def open_package(self) -> None:
        name = self.open_product.currentData()
        if name is None:
            self._package_refused("no product in the catalogue is mixed or opened at the chair")
            return
        unit = self.units[name]
        try:
            size = parse_amount(self.open_size.text(), unit, name) if self.open_size.text().strip() else None
            diluent = (
                parse_amount(self.open_diluent.text(), DoseUnit.MILLILITRES, "the diluent")
                if unit is DoseUnit.UNITS and self.open_diluent.text().strip()
                else None
            )
        except ValidationError as error:
            self._package_refused(str(error))
            return
        lot = self.open_lot.text().strip()
        if not lot:
            self._package_refused("type the lot of the vial or syringe")
            return
        opening = (
            partial(
                mix_vial, self.database, name, lot, size, diluent, use_within=self.use_within.value() or None
            )
            if unit is DoseUnit.UNITS
            else partial(open_syringe, self.database, name, lot, size)
        )
        self.tasks.run(
            "package-open",
            opening,
            self._opened,
            refused=self._package_refused,
            failed=self._package_refused,
            owner=self,
            ended=lambda: self.open_button.setEnabled(self.may_open),
        )
        self.open_button.setEnabled(False)  # one click, one vial

    def _opened(self, package: Package) -> None:
        self.package_message.setStyleSheet("")
        self.package_message.setText(f"{package.name.capitalize()}: {package.describe()}")
        self.open_lot.clear()
        self.refresh()

    def _package_refused(self, message: str) -> None:
        self.package_message.setStyleSheet(WARNING_STYLE)
        self.package_message.setText(f"Not done: {message}")

    def _shown(self, report: StockReport) -> None:
        self.model.set_records(report.lots)
        self.table.resizeColumnsToContents()
        self.warnings.setText("\n".join(f"⚠ {w}" for w in report.warnings))
        self.warnings.setVisible(bool(report.warnings))
        self._lot_chosen()  # the list was read again: no lot is chosen

    def receive(self) -> None:
        typed = self.lot.text().strip()
        scan = typed if looks_like_scan(typed) else None
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

    def _refused(self, message: str, verb: str = "Not received") -> None:
        self.message.setStyleSheet(WARNING_STYLE)
        self.message.setText(f"{verb}: {message}")

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.tasks.wait()
        super().closeEvent(event)
