"""Recall settings: each product's maintenance interval, the due-soon lead, reviews."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
)

from app.services.recall import load_recall_settings, save_recall_changes
from app.storage.database import Database
from models.recall import RecallSettings
from models.records import ProductRecord
from ui.tasks import TaskRunner


class RecallSettingsDialog(QDialog):
    def __init__(
        self, database: Database, products: list[ProductRecord], parent=None, tasks: TaskRunner | None = None
    ):
        super().__init__(parent)
        self.database = database
        self.products = [p for p in products if p.kind != "enzyme"]  # no maintenance for enzymes
        self.setWindowTitle("Recall settings")
        self.resize(720, 640)
        settings = load_recall_settings(database)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.lead = QSpinBox(minimum=0, maximum=120, suffix=" days", value=settings.lead_days)
        self.review_on = QCheckBox("Review after a first treatment with a product")
        self.review_on.setChecked(settings.review_days is not None)
        self.review_days = QSpinBox(
            minimum=1, maximum=120, suffix=" days after", value=settings.review_days or 14
        )
        self.review_on.toggled.connect(self.review_days.setEnabled)
        self.review_days.setEnabled(self.review_on.isChecked())
        self.lapsed = QSpinBox(
            minimum=30, maximum=3650, suffix=" days overdue", value=settings.lapsed_after_days or 365
        )
        form.addRow("Due soon from", self.lead)
        form.addRow(self.review_on)
        form.addRow("Review", self.review_days)
        form.addRow("Lapsed (left off the list) after", self.lapsed)
        layout.addLayout(form)
        layout.addWidget(
            QLabel(
                "Maintenance interval per product: the window opens at the first"
                " number of days and is overdue after the second."
            )
        )
        self.table = QTableWidget(len(self.products), 3)
        self.table.setHorizontalHeaderLabels(["Product", "Opens after (days)", "Overdue after (days)"])
        self.spins = []
        for row, product in enumerate(self.products):
            self.table.setCellWidget(row, 0, QLabel(f"  {product.name}"))
            low = QSpinBox(minimum=1, maximum=3650, value=product.interval_min_days or 90)
            high = QSpinBox(minimum=1, maximum=3650, value=product.interval_max_days or 120)
            self.table.setCellWidget(row, 1, low)
            self.table.setCellWidget(row, 2, high)
            self.spins.append((product, low, high))
        self.table.resizeColumnsToContents()
        self.table.verticalHeader().hide()
        layout.addWidget(self.table, 1)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020; font-weight: 600")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        # Changing an interval moves the due dates of every patient given that product: at
        # clinic scale seconds of work, done off the GUI thread.
        if tasks is None:  # a dialog made on its own: every failure is said in it
            tasks = TaskRunner(self)
            tasks.failed.connect(self._failed)
        self.tasks = tasks
        self._saving = False

    def save(self) -> None:
        """Store every change together, or none: a mistake is shown here."""
        intervals = {
            product.name: (low.value(), high.value())
            for product, low, high in self.spins
            if (low.value(), high.value()) != (product.interval_min_days, product.interval_max_days)
        }
        settings = RecallSettings(
            lead_days=self.lead.value(),
            review_days=self.review_days.value() if self.review_on.isChecked() else None,
            lapsed_after_days=self.lapsed.value(),
        )
        self.buttons.setEnabled(False)
        self.error.setStyleSheet("color: #555555")
        self.error.setText("Saving: updating the due dates…")
        self._saving = True
        self.tasks.run(
            f"recall-save-{id(self)}",
            partial(save_recall_changes, self.database, intervals, settings),
            lambda _: self.accept(),
            self._failed,
            owner=self,
            ended=self._ended,
        )

    def _ended(self) -> None:
        self._saving = False
        self.buttons.setEnabled(True)

    def _failed(self, message: str) -> None:
        self.buttons.setEnabled(True)
        self.error.setStyleSheet("color: #b00020; font-weight: 600")
        self.error.setText(message)

    def reject(self) -> None:
        if not self._saving:  # not while a save is under way
            super().reject()

    @classmethod
    def ask(cls, database: Database, products: list[ProductRecord], parent) -> bool:
        """Show the dialog; True when settings were saved. Tests replace this."""
        dialog = cls(database, products, parent, tasks=getattr(parent, "tasks", None))
        try:
            return dialog.exec() == QDialog.DialogCode.Accepted
        finally:
            dialog.deleteLater()  # with its worker pool: a settings dialog is opened again and again
