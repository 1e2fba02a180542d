"""New and edit patient: the form, checked by the same rules as every other way in."""

from __future__ import annotations

from datetime import date
from functools import partial

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from app.services.patients import SavedPatient, check_draft, cleaned, create_patient, update_patient
from app.storage.database import Database
from models.dates import Century
from models.errors import AliquotError, ValidationError
from models.records import PatientDraft, PatientRecord
from models.vocabulary import Sex
from ui.date_field import DateField, years_from_today
from ui.tasks import TaskRunner


def store_patient(
    database: Database, patient_id: int | None, draft: PatientDraft
) -> SavedPatient | AliquotError:
    """A new patient, or the patient's details changed; a refusal is returned, with the field
    it names, for the form to mark."""
    try:
        if patient_id is None:
            return create_patient(database, draft)
        return update_patient(database, patient_id, draft)
    except AliquotError as error:
        return error


class PatientDialog(QDialog):
    def __init__(
        self,
        database: Database,
        patient: PatientRecord | None = None,
        chart_number: str = "",
        parent=None,
        tasks: TaskRunner | None = None,
    ):
        super().__init__(parent)
        self.database = database
        self.tasks = tasks  # None (a form made on its own): stored at once, on this thread
        self.patient = patient
        self.saved: SavedPatient | None = None
        self.setWindowTitle("Edit patient" if patient else "New patient")
        form = QFormLayout(self)
        self.chart_number = QLineEdit(patient.chart_number if patient else chart_number)
        self.given_name = QLineEdit(patient.given_name if patient else "")
        self.family_name = QLineEdit(patient.family_name if patient else "")
        # Empty until typed: a birth date is never assumed.
        self.born = DateField(
            Century.PAST, years_from_today(-40)
        )  # a calendar opened on an adult's birth year
        self.born.set_date(patient.date_of_birth if patient else None)
        self.born_unknown = QCheckBox("not known")
        self.born_unknown.setChecked(patient is not None and patient.date_of_birth is None)
        self.born_unknown.toggled.connect(lambda unknown: self.born.setEnabled(not unknown))
        self.born.setEnabled(not self.born_unknown.isChecked())
        born_row = QWidget()
        born_layout = QHBoxLayout(born_row)
        born_layout.setContentsMargins(0, 0, 0, 0)
        born_layout.addWidget(self.born)
        born_layout.addWidget(self.born_unknown)
        self.sex = QComboBox()
        for sex in Sex:
            self.sex.addItem(sex.value, sex.value)
        self.sex.setCurrentIndex(self.sex.findData((patient.sex if patient else Sex.FEMALE).value))
        self.phone = QLineEdit(patient.phone or "" if patient else "")
        self.email = QLineEdit(patient.email or "" if patient else "")
        self.allergies = QPlainTextEdit(patient.allergies if patient else "")
        self.allergies.setPlaceholderText("e.g. lidocaine; leave empty if none are known")
        self.allergies.setMaximumHeight(60)
        self.medical_notes = QPlainTextEdit(patient.medical_notes if patient else "")
        self.medical_notes.setMaximumHeight(80)
        # Shown in the visit editor's banner beside the allergies, always in sight while charting.
        self.alerts = QPlainTextEdit(patient.alerts if patient else "")
        self.alerts.setPlaceholderText("pregnant, breast-feeding, on warfarin…")
        self.alerts.setMaximumHeight(60)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020; font-weight: 600")
        self.error.setWordWrap(True)
        self.fields = {
            "chart_number": self.chart_number,
            "given_name": self.given_name,
            "family_name": self.family_name,
            "date_of_birth": self.born.line,
            "phone": self.phone,
            "email": self.email,
            "alerts": self.alerts,
        }
        for label, widget in (
            ("Chart number", self.chart_number),
            ("Given name", self.given_name),
            ("Family name", self.family_name),
            ("Date of birth", born_row),
            ("Sex", self.sex),
            ("Phone", self.phone),
            ("Email", self.email),
            ("Allergies", self.allergies),
            ("Alerts", self.alerts),
            ("Medical notes", self.medical_notes),
        ):
            form.addRow(label, widget)
        form.addRow(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        form.addRow(buttons)
        (self.given_name if patient is None else self.family_name).setFocus()

    def typed_birth_date(self) -> date | None:
        if self.born_unknown.isChecked():
            return None
        try:
            born = self.born.date()
        except ValueError as refused:
            raise ValidationError(f"date of birth {refused}", "date_of_birth") from None
        if born is None:
            raise ValidationError("type the date of birth, or tick “not known”", "date_of_birth")
        return born

    def draft(self, born: date | None) -> PatientDraft:
        return PatientDraft(
            chart_number=self.chart_number.text(),
            given_name=self.given_name.text(),
            family_name=self.family_name.text(),
            date_of_birth=born,
            sex=Sex(self.sex.currentData()),
            phone=self.phone.text(),
            email=self.email.text(),
            allergies=self.allergies.toPlainText(),
            medical_notes=self.medical_notes.toPlainText(),
            alerts=self.alerts.toPlainText(),
        )

    def save(self) -> None:
        """Check and store (on the task runner's thread); on a mistake, say what is wrong
        beside the form and stay open."""
        for widget in self.fields.values():
            widget.setStyleSheet("")
        try:
            # The form's mistakes are named in its order: the fields above the birth date first.
            check_draft(cleaned(self.draft(None)))
            draft = self.draft(self.typed_birth_date())
        except AliquotError as error:
            self._refused(error)
            return
        work = partial(store_patient, self.database, self.patient.id if self.patient else None, draft)
        if self.tasks is None:
            self._stored(work())
            return
        self.buttons.setEnabled(False)
        self.error.setText("Saving…")
        self.tasks.run(
            f"save-patient-{id(self)}",
            work,
            self._stored,
            owner=self,
            ended=lambda: self.buttons.setEnabled(True),
        )

    def _stored(self, outcome: SavedPatient | AliquotError) -> None:
        self.buttons.setEnabled(True)
        if isinstance(outcome, AliquotError):
            self._refused(outcome)
            return
        self.error.clear()
        self.saved = outcome
        self.accept()

    def _refused(self, error: AliquotError) -> None:
        self.error.setText(str(error))
        if isinstance(error, ValidationError) and error.field in self.fields:
            self.fields[error.field].setStyleSheet("border: 2px solid #b00020")
            self.fields[error.field].setFocus()

    @classmethod
    def ask(
        cls, database: Database, patient: PatientRecord | None, chart_number: str, parent
    ) -> SavedPatient | None:
        """Show the form; the stored patient (with what saving changed), or None if
        cancelled. Tests replace this."""
        dialog = cls(database, patient, chart_number, parent, tasks=getattr(parent, "tasks", None))
        return dialog.saved if dialog.exec() == QDialog.DialogCode.Accepted else None
