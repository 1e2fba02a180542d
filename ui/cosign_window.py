"""Visits awaiting co-signature: injectors' signed visits that no prescriber has co-signed
yet, oldest first. A prescriber opens one (read-only, as signed) and co-signs it."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.changes import Changes
from app.services.signing import AwaitingCosign, awaiting_cosign, cosign_visit
from app.storage.database import Database
from models.records import VisitRecord
from ui.table_model import Column, RecordTableModel, record_table
from ui.tasks import TaskRunner


class CosignWindow(QMainWindow):
    visit_wanted = Signal(str, int)  # chart number, visit id: open it in the editor

    def __init__(self, database: Database, parent=None, tasks: TaskRunner | None = None):
        super().__init__(parent)
        self.database = database
        if tasks is None:
            tasks = TaskRunner(self)
            tasks.failed.connect(self._say)
        self.tasks = tasks
        self.tasks.changed.connect(self._changed)
        self.setWindowTitle("Visits awaiting co-signature — Aliquot")
        self.resize(900, 560)
        zone = database.timezone
        self.model: RecordTableModel[AwaitingCosign] = RecordTableModel(
            [
                Column("Visit", lambda r: str(r.visit_id), align_right=True),
                Column("Chart", lambda r: r.chart_number),
                Column("Patient", lambda r: r.patient_name),
                Column("Visit date", lambda r: f"{r.started_at.astimezone(zone):%Y-%m-%d %H:%M}"),
                Column("Injector", lambda r: r.injector),
                Column("Signed", lambda r: f"{r.signed_at.astimezone(zone):%Y-%m-%d %H:%M}"),
            ],
            self,
        )
        self.table = record_table(self.model, fit_columns=False)
        self.table.doubleClicked.connect(lambda _index: self.open_chosen())
        self.count = QLabel()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.open_button = QPushButton("Open (read-only)")
        self.cosign_button = QPushButton("Co-sign")
        self.cosign_button.setToolTip("Co-sign the chosen visit as it was signed (its content hash)")
        self.open_button.clicked.connect(self.open_chosen)
        self.cosign_button.clicked.connect(self.cosign_chosen)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.cosign_button)
        buttons.addStretch(1)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.count)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self.setCentralWidget(body)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._enable())
        self._enable()
        self.refresh()

    def refresh(self) -> None:
        self.tasks.run("awaiting-cosign", partial(awaiting_cosign, self.database), self._loaded, owner=self)

    def _loaded(self, rows: list[AwaitingCosign]) -> None:
        self.model.set_records(rows)
        self.table.resizeColumnsToContents()
        self.count.setText(
            f"{len(rows)} signed visit{'s' if len(rows) != 1 else ''} awaiting co-signature"
            if rows
            else "No visit is awaiting co-signature."
        )
        if rows:
            self.table.selectRow(0)
        self._enable()

    def chosen(self) -> AwaitingCosign | None:
        row = self.table.currentIndex().row()
        return self.model.record(row) if 0 <= row < self.model.rowCount() else None

    def _enable(self) -> None:
        chosen = self.chosen() is not None
        self.open_button.setEnabled(chosen)
        self.cosign_button.setEnabled(chosen)

    def open_chosen(self) -> None:
        row = self.chosen()
        if row is not None:
            self.visit_wanted.emit(row.chart_number, row.visit_id)

    def cosign_chosen(self) -> None:
        row = self.chosen()
        if row is None:
            return
        when = f"{row.started_at.astimezone(self.database.timezone):%Y-%m-%d}"
        if not self.ask_cosign(
            self, f"Co-sign visit {row.visit_id} of {row.patient_name} ({when}) by {row.injector}?"
        ):
            return
        self.cosign_button.setEnabled(False)
        self.tasks.run(
            f"cosign-{row.visit_id}",
            partial(cosign_visit, self.database, row.visit_id),
            partial(self._cosigned, row),
            refused=self._refused,
            owner=self,
            failed=self._refused,
        )

    def _cosigned(self, row: AwaitingCosign, visit: VisitRecord) -> None:
        signature = visit.signature
        who = signature.cosigner.shown if signature and signature.cosigner else "you"
        self._say(f"Visit {row.visit_id} of {row.patient_name} co-signed by {who}.")
        self.tasks.announce(Changes.of_patients(visit.patient_id))
        self.refresh()

    def _refused(self, message: str) -> None:
        self._say(f"Not co-signed: {message}")
        self._enable()

    def _say(self, message: str) -> None:
        self.message.setText(message)

    def _changed(self, changes: Changes) -> None:
        if changes.patients:  # a visit signed or co-signed elsewhere
            self.refresh()

    @classmethod
    def ask_cosign(cls, parent, question: str) -> bool:
        """Tests replace this."""
        answer = QMessageBox.question(parent, "Co-sign visit", question)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.tasks.wait()
        super().closeEvent(event)
