"""The due list for the front desk: who is due, for what and when, with counts."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.services.changes import Changes
from app.services.providers import list_providers
from app.services.recall import DueFilter, DuePage, due_page, due_patients
from app.storage.database import Database
from models.recall import DueStatus
from models.vocabulary import ProductKind
from ui.table_model import Column, RecordTableModel, record_table
from ui.tasks import TaskRunner

STATUS_COLOURS = {
    DueStatus.OVERDUE: "#b00020",
    DueStatus.DUE: "#8a5a00",
    DueStatus.REVIEW: "#1565c0",
    DueStatus.DUE_SOON: "#2e7d32",
    DueStatus.NOT_DUE: "#555555",
}
PAGE = 500


class DueWindow(QMainWindow):
    patient_wanted = Signal(str)  # chart number

    def __init__(self, database: Database, providers: list, parent=None, tasks: TaskRunner | None = None):
        super().__init__(parent)
        self.database = database
        if tasks is None:  # a window made on its own: its failures are said in it
            tasks = TaskRunner(self)
            tasks.failed.connect(self._failed)
        self.tasks = tasks
        self.tasks.changed.connect(self._changed)
        self.setWindowTitle("Due list — Aliquot")
        self.resize(1250, 780)
        self.today = datetime.now(database.timezone).date()
        self.page: DuePage | None = None
        self.patients: int | None = None

        self.status_boxes = {}
        filters = QHBoxLayout()
        for status in (DueStatus.OVERDUE, DueStatus.DUE, DueStatus.DUE_SOON, DueStatus.REVIEW):
            box = QCheckBox(status.value.capitalize())
            box.setChecked(True)
            box.toggled.connect(self.refresh)
            self.status_boxes[status] = box
            filters.addWidget(box)
        filters.addWidget(QLabel("  Opening within"))
        self.within = QSpinBox(minimum=0, maximum=365, suffix=" days", value=14)
        self.within.valueChanged.connect(self.refresh)
        filters.addWidget(self.within)
        self.provider = QComboBox()
        self.set_providers(providers)
        self.provider.currentIndexChanged.connect(self.refresh)
        self.kind = QComboBox()
        self.kind.addItem("All products", None)
        for kind in (ProductKind.NEUROMODULATOR, ProductKind.FILLER, ProductKind.BIOSTIMULATOR):
            self.kind.addItem(kind.value.capitalize() + "s", kind.value)
        self.kind.currentIndexChanged.connect(self.refresh)
        filters.addWidget(self.provider)
        filters.addWidget(self.kind)
        filters.addStretch(1)

        today = self.today
        self.model: RecordTableModel = RecordTableModel(
            [
                Column(
                    "Status", lambda r: r.item.status.value, colour=lambda r: STATUS_COLOURS[r.item.status]
                ),
                Column("Chart", lambda r: r.chart_number),
                Column("Patient", lambda r: r.patient_name),
                Column("Phone", lambda r: r.phone or "—"),
                Column("Area", lambda r: r.area),
                Column("Product", lambda r: r.item.product_name),
                Column("Last treated", lambda r: r.item.last_treated.isoformat()),
                Column("Due from", lambda r: r.item.due_from.isoformat()),
                Column("Due by", lambda r: r.item.due_by.isoformat()),
                Column("Days overdue", lambda r: str(r.days_overdue(today) or ""), align_right=True),
                Column("Injector", lambda r: r.provider_name),
            ],
            self,
        )
        self.table = record_table(self.model, one_row=False, fit_columns=False)
        self.table.doubleClicked.connect(self._open_patient)
        self.counts = QLabel()
        self.counts.setTextFormat(Qt.TextFormat.RichText)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(filters)
        layout.addWidget(self.counts)
        layout.addWidget(self.table, 1)
        hint = QLabel(
            "Double-click a row to open the patient. Overdue for more than a year counts as"
            " lapsed and is not listed."
        )
        hint.setStyleSheet("color: #666")
        layout.addWidget(hint)
        self.setCentralWidget(body)
        self.refresh()

    def current_filter(self) -> DueFilter:
        statuses = frozenset(s for s, box in self.status_boxes.items() if box.isChecked())
        return DueFilter(
            statuses=statuses, provider_id=self.provider.currentData(), product_kind=self.kind.currentData()
        )

    def set_providers(self, providers: list) -> None:
        """The injector filter: every injector, those taken off the list too (their patients
        still come due); the current choice is kept."""
        chosen = self.provider.currentData()
        self.provider.blockSignals(True)
        self.provider.clear()
        self.provider.addItem("All injectors", None)
        for provider in providers:
            self.provider.addItem(
                provider.label if provider.active else f"{provider.label} (off the list)", provider.id
            )
        self.provider.setCurrentIndex(max(0, self.provider.findData(chosen)))
        self.provider.blockSignals(False)

    def refresh(self) -> None:
        self.patients = None  # counted by a query of its own, after the page
        if not any(box.isChecked() for box in self.status_boxes.values()):
            self._loaded(DuePage({}, []))
            return
        self.tasks.run(
            "due",
            partial(
                due_page, self.database, self.today, self.within.value(), None, PAGE, 0, self.current_filter()
            ),
            self._loaded,
            owner=self,
        )
        self.tasks.run(
            "due-patients",
            partial(
                due_patients, self.database, self.today, self.within.value(), None, self.current_filter()
            ),
            self._patients_loaded,
            owner=self,
        )

    def _failed(self, message: str) -> None:
        self.counts.setText(f"Could not load: {message}")

    def _changed(self, changes: Changes) -> None:
        """Redraw from what another window changed: the injectors, or who is due."""
        if changes.providers:
            self.tasks.run(
                "due-providers",
                partial(list_providers, self.database, include_inactive=True),
                self.set_providers,
                owner=self,
            )
        if changes.touches_recall:
            self.refresh()

    def _patients_loaded(self, patients: int) -> None:
        self.patients = patients
        if self.page is not None:
            self._show_counts(self.page)

    def _loaded(self, page: DuePage) -> None:
        self.page = page
        self.model.set_records(page.rows)
        self.table.resizeColumnsToContents()
        self._show_counts(page)

    def _show_counts(self, page: DuePage) -> None:
        parts = [
            f"<span style='color:{STATUS_COLOURS[s]}'><b>{page.counts.get(s, 0)}</b> {s.value}</span>"
            for s in (
                DueStatus.OVERDUE,
                DueStatus.DUE,
                DueStatus.DUE_SOON,
                DueStatus.REVIEW,
                DueStatus.NOT_DUE,
            )
            if page.counts.get(s)
        ]
        shown = f" — showing the {len(page.rows)} most urgent" if page.total > len(page.rows) else ""
        patients = (
            f" — {page.total} area{'s' if page.total != 1 else ''} for <b>{self.patients}</b>"
            f" patient{'s' if self.patients != 1 else ''}"
            if page.total and self.patients is not None
            else ""
        )
        self.counts.setText(
            f"As of {self.today.isoformat()}: " + (", ".join(parts) or "nobody is due") + patients + shown
        )

    def _open_patient(self, index) -> None:
        self.patient_wanted.emit(self.model.record(index.row()).chart_number)

    def closeEvent(self, event) -> None:
        self.tasks.wait()
        super().closeEvent(event)
