"""The main window's left side: find a patient by name, chart number or birth date."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from models.records import PatientRecord
from ui.table_model import Column, RecordTableModel, record_table

SEARCH_DELAY_MS = 200
LIST_LIMIT = 200  # search_patients' first page


class PatientList(QWidget):
    search_wanted = Signal()
    """The search text settled (typed, then a pause): the list is to be asked for again."""
    chosen = Signal(object)
    """A `PatientRecord` was chosen in the list."""

    def __init__(self, new_patient: Callable[[], None], parent: QWidget | None = None):
        super().__init__(parent)
        today = date.today()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find a patient: name, chart number or birth date (YYYY-MM-DD)")
        self.search.setClearButtonEnabled(True)
        self.search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self.search.textChanged.connect(self.search_timer.start)
        self.search_timer.timeout.connect(self.search_wanted)

        self.model: RecordTableModel[PatientRecord] = RecordTableModel(
            [
                Column("Chart", lambda p: p.chart_number),
                Column("Patient", lambda p: p.display_name + ("  (archived)" if p.archived else "")),
                Column("Born", lambda p: p.date_of_birth.isoformat() if p.date_of_birth else "—"),
                Column("Age", lambda p: str(p.age_on(today) or "—"), align_right=True),
            ],
            self,
        )
        self.table = record_table(self.model)
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)
        self.count = QLabel()

        layout = QVBoxLayout(self)
        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        new_button = QPushButton("New patient")
        new_button.clicked.connect(new_patient)
        search_row.addWidget(new_button)
        layout.addLayout(search_row)
        layout.addWidget(self.table)
        layout.addWidget(self.count)

    def show_patients(self, patients: list[PatientRecord], keep: int | None = None) -> None:
        """List these; choose the patient `keep` (an id) if listed, else the first."""
        self.model.set_records(patients)
        shown = len(patients)
        self.count.setText(
            f"{shown} patient{'s' if shown != 1 else ''}"
            if shown < LIST_LIMIT
            else f"First {LIST_LIMIT} patients: type more of the name to narrow the list"
        )
        if patients:
            ids = [p.id for p in patients]
            self.table.selectRow(ids.index(keep) if keep in ids else 0)

    def current(self) -> PatientRecord | None:
        row = self.table.currentIndex().row()
        return self.model.record(row) if row >= 0 else None

    def _row_chosen(self, current, _previous) -> None:  # type: ignore[no-untyped-def]
        if current.isValid():
            self.chosen.emit(self.model.record(current.row()))
