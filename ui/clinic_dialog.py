"""The clinic's details for printed records: name, address, phone, logo, aftercare advice.
Stored in the database, so every workstation prints the same header."""

from __future__ import annotations

import base64
from dataclasses import replace
from functools import partial

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.exports.records import logo_from_file
from app.services.changes import Changes
from app.services.settings import DEFAULT_AFTERCARE, ClinicProfile, load_clinic_profile, save_clinic_profile
from app.storage.database import Database
from ui.tasks import TaskRunner

LOGO_PREVIEW = (280, 90)


class ClinicDialog(QDialog):
    """Loads the stored details, reads a chosen logo (Pillow) and saves on the task runner's
    thread; the form is greyed while it waits."""

    def __init__(self, database: Database, parent=None, tasks: TaskRunner | None = None):
        super().__init__(parent)
        self.database = database
        self.tasks = tasks if tasks is not None else TaskRunner(self)
        self.profile: ClinicProfile | None = None  # until loaded
        self.logo_png = ""
        self._saving = False
        self.setWindowTitle("Clinic details for printed records")
        self.resize(640, 560)
        layout = QVBoxLayout(self)
        note = QLabel(
            "These head every treatment record and history this clinic prints, from any workstation."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Harbour Aesthetics")
        self.address = QLineEdit()
        self.address.setPlaceholderText("one line, e.g. 12 Quay Street, Bristol BS1 4DJ")
        self.phone = QLineEdit()
        self.logo = QLabel()
        self.logo.setFixedSize(*LOGO_PREVIEW)
        self.logo.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.logo.setStyleSheet("border: 1px solid #cccccc; background: white")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self.choose_logo)
        self.remove_logo = QPushButton("Remove")
        self.remove_logo.clicked.connect(lambda: self._set_logo(""))
        logo_row = QWidget()
        logo_layout = QHBoxLayout(logo_row)
        logo_layout.setContentsMargins(0, 0, 0, 0)
        logo_layout.addWidget(self.logo)
        logo_layout.addWidget(choose, 0, Qt.AlignmentFlag.AlignTop)
        logo_layout.addWidget(self.remove_logo, 0, Qt.AlignmentFlag.AlignTop)
        logo_layout.addStretch(1)
        self.aftercare = QPlainTextEdit()
        reset = QPushButton("Standard advice")
        reset.setToolTip("Put back Aliquot's standard aftercare text")
        reset.clicked.connect(lambda: self.aftercare.setPlainText(DEFAULT_AFTERCARE))
        for label, widget in (
            ("Clinic name", self.name),
            ("Address", self.address),
            ("Phone", self.phone),
            ("Logo", logo_row),
            ("Aftercare advice", self.aftercare),
        ):
            form.addRow(label, widget)
        form.addRow("", reset)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        layout.addLayout(form, 1)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020; font-weight: 600")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.form = form
        self.buttons = buttons
        self._set_logo("")
        self._busy("Loading the clinic's details…")
        self.tasks.run(
            f"clinic-load-{id(self)}",
            partial(load_clinic_profile, database),
            self._loaded,
            self._refused,
            owner=self,
            ended=self._ready,
        )

    def is_busy(self) -> bool:
        return not self.buttons.isEnabled()

    def _busy(self, message: str) -> None:
        self.buttons.setEnabled(False)
        for widget in (self.name, self.address, self.phone, self.aftercare):
            widget.setReadOnly(True)
        self.error.setStyleSheet("color: #555555")
        self.error.setText(message)

    def _ready(self) -> None:
        self._saving = False
        self.buttons.setEnabled(self.profile is not None)
        for widget in (self.name, self.address, self.phone, self.aftercare):
            widget.setReadOnly(False)
        self.error.setStyleSheet("color: #b00020; font-weight: 600")
        self.error.clear()

    def _refused(self, message: str) -> None:
        self.error.setText(message)

    def _loaded(self, profile: ClinicProfile) -> None:
        self.profile = profile
        self.name.setText(profile.name)
        self.address.setText(profile.address)
        self.phone.setText(profile.phone)
        self.aftercare.setPlainText(profile.aftercare)
        self._set_logo(profile.logo_png)
        self.buttons.setEnabled(True)

    def _set_logo(self, logo_png: str) -> None:
        self.logo_png = logo_png
        self.remove_logo.setEnabled(bool(logo_png))
        if not logo_png:
            self.logo.setPixmap(QPixmap())
            self.logo.setText("  no logo")
            return
        pixmap = QPixmap()
        pixmap.loadFromData(QByteArray(base64.b64decode(logo_png)), "PNG")
        self.logo.setPixmap(
            pixmap.scaled(
                *LOGO_PREVIEW, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        )

    def choose_logo(self) -> None:
        path = self.ask_logo_path(self)
        if not path:
            return
        self._busy("Reading the logo…")
        self.tasks.run(
            f"clinic-logo-{id(self)}",
            partial(logo_from_file, path),
            self._set_logo,
            self._refused,
            owner=self,
            ended=self._ready,
        )

    def edited_profile(self) -> ClinicProfile:
        assert self.profile is not None  # saving waits for the loading
        return replace(
            self.profile,
            name=self.name.text().strip(),
            address=self.address.text().strip(),
            phone=self.phone.text().strip(),
            aftercare=self.aftercare.toPlainText().strip(),
            logo_png=self.logo_png,
        )

    def save(self) -> None:
        if self.profile is None:
            return
        profile = self.edited_profile()
        self._saving = True
        self._busy("Saving…")
        self.tasks.run(
            f"clinic-save-{id(self)}",
            partial(save_clinic_profile, self.database, profile),
            self._saved,
            self._refused,
            owner=self,
            ended=self._ready,
        )

    def _saved(self, changes: Changes) -> None:
        self.tasks.announce(changes)
        self.accept()

    def reject(self) -> None:
        if not self._saving:  # not while a save is under way
            super().reject()

    @classmethod
    def ask_logo_path(cls, parent) -> str | None:
        """The logo file the user picks, or None. Tests replace this."""
        path, _ = QFileDialog.getOpenFileName(parent, "Clinic logo", "", "Images (*.png *.jpg *.jpeg)")
        return path or None

    @classmethod
    def ask(cls, database: Database, parent) -> bool:
        """Show the dialog; True when the details were saved. Tests replace this."""
        dialog = cls(database, parent, tasks=getattr(parent, "tasks", None))
        try:
            return dialog.exec() == QDialog.DialogCode.Accepted
        finally:
            dialog.deleteLater()
