"""The clinic's details for printed records: name, address, phone, logo, aftercare advice.
Stored in the database, so every workstation prints the same header."""

from __future__ import annotations

import base64
from dataclasses import replace

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
from app.services.settings import DEFAULT_AFTERCARE, ClinicProfile, load_clinic_profile, save_clinic_profile
from app.storage.database import Database
from models.errors import AliquotError

LOGO_PREVIEW = (280, 90)


class ClinicDialog(QDialog):
    def __init__(self, database: Database, parent=None):
        super().__init__(parent)
        self.database = database
        self.profile = load_clinic_profile(database)
        self.logo_png = self.profile.logo_png
        self.setWindowTitle("Clinic details for printed records")
        self.resize(640, 560)
        layout = QVBoxLayout(self)
        note = QLabel(
            "These head every treatment record and history this clinic prints, from any workstation."
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        form = QFormLayout()
        self.name = QLineEdit(self.profile.name)
        self.name.setPlaceholderText("e.g. Harbour Aesthetics")
        self.address = QLineEdit(self.profile.address)
        self.address.setPlaceholderText("one line, e.g. 12 Quay Street, Bristol BS1 4DJ")
        self.phone = QLineEdit(self.profile.phone)
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
        self.aftercare = QPlainTextEdit(self.profile.aftercare)
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
        self._set_logo(self.logo_png)

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
        try:
            self._set_logo(logo_from_file(path))
        except AliquotError as error:
            self.error.setText(str(error))
            return
        self.error.clear()

    def edited_profile(self) -> ClinicProfile:
        return replace(
            self.profile,
            name=self.name.text().strip(),
            address=self.address.text().strip(),
            phone=self.phone.text().strip(),
            aftercare=self.aftercare.toPlainText().strip(),
            logo_png=self.logo_png,
        )

    def save(self) -> None:
        try:
            save_clinic_profile(self.database, self.edited_profile())
        except AliquotError as error:
            self.error.setText(str(error))
            return
        self.accept()

    @classmethod
    def ask_logo_path(cls, parent) -> str | None:
        """The logo file the user picks, or None. Tests replace this."""
        path, _ = QFileDialog.getOpenFileName(parent, "Clinic logo", "", "Images (*.png *.jpg *.jpeg)")
        return path or None

    @classmethod
    def ask(cls, database: Database, parent) -> bool:
        """Show the dialog; True when the details were saved. Tests replace this."""
        dialog = cls(database, parent)
        try:
            return dialog.exec() == QDialog.DialogCode.Accepted
        finally:
            dialog.deleteLater()
