"""The audit trail for the clinic's admins: who did what and when, narrowed to a patient's
chart, a user or from a day on; and "Verify trail", which walks the hash chain and every
signed visit and says whether the trail is intact (green) or where it breaks (red).
Reading the trail is itself audited (the service records it)."""

from __future__ import annotations

from datetime import date
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.trail import TrailEntry, TrailReport, audit_log, verify_trail
from app.storage.database import Database
from models.dates import Century
from ui.date_field import DateField, years_from_today
from ui.table_model import Column, RecordTableModel, record_table
from ui.tasks import TaskRunner

SHOWN = 5000  # the newest events listed; narrow the filters to see older ones
INTACT_STYLE = "QLabel {background: #e8f5e9; color: #1b5e20; border: 1px solid #2e7d32; padding: 4px 8px}"
BROKEN_STYLE = "QLabel {background: #fdecea; color: #8e0016; border: 2px solid #b00020; padding: 4px 8px}"


def read_trail(
    database: Database, chart_number: str | None, user: str | None, since: date | None
) -> tuple[list[TrailEntry], int]:
    """The newest events that match (newest first), and how many matched."""
    entries = list(audit_log(database, chart_number, user, since))
    return list(reversed(entries[-SHOWN:])), len(entries)


class AuditWindow(QMainWindow):
    def __init__(self, database: Database, parent=None, tasks: TaskRunner | None = None):
        super().__init__(parent)
        self.database = database
        if tasks is None:
            tasks = TaskRunner(self)
            tasks.failed.connect(self._failed)
        self.tasks = tasks
        self.setWindowTitle("Audit trail — Aliquot")
        self.resize(1200, 720)
        zone = database.timezone

        self.chart = QLineEdit()
        self.chart.setPlaceholderText("chart number, e.g. A-0042")
        self.chart.setAccessibleName("Chart number")
        self.user = QLineEdit()
        self.user.setPlaceholderText("user name, e.g. dana")
        self.user.setAccessibleName("User")
        self.since = DateField(Century.NEAR, years_from_today(0))
        self.show_button = QPushButton("Show")
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.refresh)
        for line in (self.chart, self.user, self.since.line):
            line.returnPressed.connect(self.refresh)
        filters = QFormLayout()
        filters.addRow("&Chart:", self.chart)
        filters.addRow("&User:", self.user)
        filters.addRow("&Since:", self.since)
        row = QHBoxLayout()
        row.addLayout(filters, 1)
        row.addWidget(self.show_button, 0, Qt.AlignmentFlag.AlignBottom)

        self.model: RecordTableModel[TrailEntry] = RecordTableModel(
            [
                Column("#", lambda e: str(e.id), align_right=True),
                Column("When", lambda e: f"{e.occurred_at.astimezone(zone):%Y-%m-%d %H:%M:%S}"),
                Column("User", lambda e: e.actor),
                Column("Workstation", lambda e: e.workstation),
                Column("Action", lambda e: e.action),
                Column("Record", lambda e: f"{e.entity} {e.entity_id or ''}".strip()),
                Column("Chart", lambda e: e.chart_number or ""),
                Column("Details", lambda e: e.details, tooltip=lambda e: e.details),
            ],
            self,
        )
        self.table = record_table(self.model, one_row=False, fit_columns=False)
        self.count = QLabel()

        self.verify_button = QPushButton("Verify trail")
        self.verify_button.setToolTip(
            "Check every event's hash chain and every signed visit against its seal"
        )
        self.verify_button.clicked.connect(self.verify)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setAccessibleName("Verification")
        self.verdict.hide()
        verify_row = QHBoxLayout()
        verify_row.addWidget(self.verify_button)
        verify_row.addWidget(self.verdict, 1)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(row)
        layout.addWidget(self.count)
        layout.addWidget(self.table, 1)
        layout.addLayout(verify_row)
        self.setCentralWidget(body)
        self.refresh()

    def refresh(self) -> None:
        try:
            since = self.since.date()
        except ValueError as error:
            self.count.setText(f"Not shown: the day: {error}")
            return
        self.count.setText("Reading the trail…")
        self.tasks.run(
            "audit-log",
            partial(
                read_trail,
                self.database,
                self.chart.text().strip() or None,
                self.user.text().strip() or None,
                since,
            ),
            self._loaded,
            refused=self._failed,
            owner=self,
            failed=self._failed,
        )

    def _loaded(self, found: tuple[list[TrailEntry], int]) -> None:
        entries, total = found
        self.model.set_records(entries)
        self.table.resizeColumnsToContents()
        shown = f", the newest {len(entries)} shown" if total > len(entries) else ""
        self.count.setText(f"{total} event{'s' if total != 1 else ''}{shown} (newest first)")

    def _failed(self, message: str) -> None:
        self.model.set_records([])
        self.count.setText(f"Not shown: {message}")

    def verify(self) -> None:
        self.verify_button.setEnabled(False)
        self.verdict.setText("Verifying…")
        self.verdict.setStyleSheet("")
        self.verdict.show()
        self.tasks.run(
            "verify-trail",
            partial(verify_trail, self.database),
            self._verified,
            refused=self._verify_failed,
            owner=self,
            ended=lambda: self.verify_button.setEnabled(True),
            failed=self._verify_failed,
        )

    def _verified(self, report: TrailReport) -> None:
        self.verdict.setText(("✔ " if report.ok else "✘ ") + report.summary())
        self.verdict.setStyleSheet(INTACT_STYLE if report.ok else BROKEN_STYLE)

    def _verify_failed(self, message: str) -> None:
        self.verdict.setText(f"Not verified: {message}")
        self.verdict.setStyleSheet(BROKEN_STYLE)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.tasks.wait()
        super().closeEvent(event)
