"""The clinic's injectors: register them, correct their details, take them off the list."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from app.services.providers import ProviderRecord, create_provider, list_providers, update_provider
from app.storage.database import Database
from models.errors import AliquotError, ValidationError
from ui.table_model import Column, RecordTableModel, record_table

INTRO = (
    "The injectors who chart visits. Taking someone off the list keeps every visit they"
    " charted; they are no longer offered for new ones."
)
FIRST_INTRO = "Register at least one injector before charting the first visit."
NONE_ON_LIST = (
    "No injector is on the list for new visits: register one, or choose one below and"
    " tick “Offered for new visits”."
)


class InjectorsDialog(QDialog):
    def __init__(self, database: Database, first_run: bool = False, parent=None):
        super().__init__(parent)
        self.database = database
        self.changed = False
        self.setWindowTitle("Injectors")
        self.resize(700, 480)
        layout = QVBoxLayout(self)
        self.intro = QLabel(INTRO)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)

        self.model: RecordTableModel[ProviderRecord] = RecordTableModel(
            [
                Column("Name", lambda p: p.display_name),
                Column("Credentials", lambda p: p.credentials),
                Column("Licence number", lambda p: p.licence_number or "—"),
                Column(
                    "New visits",
                    lambda p: "offered" if p.active else "off the list",
                    colour=lambda p: None if p.active else "#777777",
                ),
            ]
        )
        self.table = record_table(self.model)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _old: self._show(current.row()))
        layout.addWidget(self.table, 1)

        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight: 600; margin-top: 6px")
        layout.addWidget(self.heading)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText("as it should print on records, e.g. Dana Okafor")
        self.credentials = QLineEdit()
        self.credentials.setPlaceholderText("e.g. RN, NP, MD, DDS")
        self.licence = QLineEdit()
        self.licence.setPlaceholderText("professional licence or registration number (optional)")
        self.active = QCheckBox("Offered for new visits")
        for label, widget in (
            ("Name", self.name),
            ("Credentials", self.credentials),
            ("Licence number", self.licence),
        ):
            form.addRow(label, widget)
        form.addRow(self.active)
        layout.addLayout(form)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.new_button = QPushButton("New injector")
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        buttons.addButton(self.new_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        for button in (self.new_button, buttons.button(QDialogButtonBox.StandardButton.Close)):
            button.setAutoDefault(False)  # Enter in a field saves
        self.new_button.clicked.connect(self.start_new)
        self.save_button.clicked.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self.editing: ProviderRecord | None = None
        self._reload()
        if first_run:
            self.intro.setText(NONE_ON_LIST if self.model.rowCount() else FIRST_INTRO)
            self.intro.setStyleSheet("font-weight: 600")
        if self.model.rowCount():
            self.table.selectRow(0)
        else:
            self.start_new()

    def _reload(self, select_id: int | None = None) -> None:
        self.model.set_records(list_providers(self.database, include_inactive=True))
        for row in range(self.model.rowCount()):
            if self.model.record(row).id == select_id:
                self.table.selectRow(row)

    def _show(self, row: int) -> None:
        if row < 0:
            return
        injector = self.model.record(row)
        self.editing = injector
        self.heading.setText(f"Details of {injector.display_name}")
        self.name.setText(injector.display_name)
        self.credentials.setText(injector.credentials)
        self.licence.setText(injector.licence_number or "")
        self.active.setChecked(injector.active)
        self.active.setEnabled(True)
        self._say("")

    def start_new(self) -> None:
        self.table.setCurrentIndex(QModelIndex())  # choosing any row afterwards shows it again
        self.table.clearSelection()
        self.editing = None
        self.heading.setText("New injector")
        for field in (self.name, self.credentials, self.licence):
            field.clear()
        self.active.setChecked(True)  # a new injector is on the list
        self.active.setEnabled(False)
        self._say("")
        self.name.setFocus()

    def save(self) -> None:
        """Store the form (one quick write); a mistake is shown beside it and nothing is stored."""
        self.name.setStyleSheet("")
        try:
            if self.editing is None:
                saved = create_provider(
                    self.database, self.name.text(), self.credentials.text(), self.licence.text()
                )
            else:
                saved = update_provider(
                    self.database,
                    self.editing.id,
                    self.name.text(),
                    self.credentials.text(),
                    self.licence.text(),
                    self.active.isChecked(),
                )
        except AliquotError as error:
            if isinstance(error, ValidationError) and error.field == "provider":
                self.name.setStyleSheet("border: 2px solid #b00020")
            self._say(str(error), error=True)
            return
        self.changed = True
        self._reload(select_id=saved.id)
        self._say(f"Saved {saved.display_name}.")

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020; font-weight: 600" if error else "color: #2e7d32")
        self.message.setText(text)

    @classmethod
    def ask(cls, database: Database, parent, first_run: bool = False) -> bool:
        """Show the dialog; True when an injector was added or changed. Tests replace this."""
        dialog = cls(database, first_run, parent)
        dialog.exec()
        dialog.deleteLater()
        return dialog.changed
