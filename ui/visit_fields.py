"""The visit's own fields above the face map: injector, time, consent, concern, notes.

The form mirrors the chart document's `VisitFields`: it redraws whenever they change (an
edit, an undo, a recovered chart) and turns what the user types into new fields, which it
offers through `edited` for the editor to push as one undo command. It never changes the
document itself."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from models.chart import ChartDocument, VisitFields
from models.dates import Century
from ui.date_field import DateTimeField


class ProviderLike(Protocol):
    id: int
    label: str


class VisitFieldsForm(QWidget):
    edited = Signal(object)  # VisitFields: what the user made of the document's fields

    def __init__(
        self,
        document: ChartDocument,
        providers: Sequence[ProviderLike],
        timezone: ZoneInfo,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.document = document
        self.timezone = timezone
        shown = document.fields
        self.provider = QComboBox()
        for provider in providers:
            self.provider.addItem(provider.label, provider.id)
        self.provider.setCurrentIndex(max(0, self.provider.findData(shown.provider_id)))
        self.started = DateTimeField(Century.NEAR, date.today)
        self.set_stored_time(shown.started_at)
        self.started.set_moment(self._shown_started)
        self.consent = QCheckBox("Consent recorded")
        self.consent.setChecked(shown.consent_recorded)
        self.concern = QLineEdit(shown.concern)
        self.concern.setPlaceholderText("Concern, e.g. left brow higher at rest")
        self.notes = QLineEdit(shown.notes)
        self.notes.setPlaceholderText("Notes")

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for label, widget in (("Injector", self.provider), ("Time", self.started)):
            row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addWidget(self.consent)
        row.addWidget(self.concern, 2)
        row.addWidget(self.notes, 2)

        for signal in (
            self.provider.currentIndexChanged,
            self.started.edited,
            self.consent.toggled,
            self.concern.textEdited,
            self.notes.textEdited,
        ):
            signal.connect(self._user_edited)
        document.subscribe_fields(self.show_fields)

    def set_stored_time(self, started_at: datetime) -> None:
        """The visit's time as stored (to the second): while the time field shows it
        unchanged, the fields keep it exactly instead of the minute shown."""
        self._stored_started = started_at
        self._shown_started = self._displayed(started_at)

    def _displayed(self, moment: datetime) -> datetime:
        """A stored time as the time field shows it: the clinic's clock, to the minute."""
        return moment.astimezone(self.timezone).replace(second=0, microsecond=0, tzinfo=None)

    def typed_started(self) -> datetime | None:
        """The day and time typed (naive, the clinic's clock), or None while half typed."""
        try:
            return self.started.moment()
        except ValueError:
            return None

    def typed_fields(self) -> VisitFields:
        """The fields as the widgets show them now."""
        shown = self.typed_started()
        if shown is None:  # a date half typed: the last one understood stands until saving
            started = self.document.fields.started_at
        elif shown == self._shown_started:
            started = self._stored_started  # to the second, as stored
        else:
            started = shown.replace(tzinfo=self.timezone)
        return VisitFields(
            provider_id=self.provider.currentData(),
            started_at=started,
            concern=self.concern.text().strip(),
            notes=self.notes.text().strip(),
            consent_recorded=self.consent.isChecked(),
        )

    def _user_edited(self, *_args: object) -> None:
        fields = self.typed_fields()
        if fields != self.document.fields:
            self.edited.emit(fields)

    def show_fields(self, fields: VisitFields) -> None:
        """Redraw from the document; what is being typed is never rewritten needlessly."""
        widgets = (self.provider, self.started, self.consent, self.concern, self.notes)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.provider.setCurrentIndex(max(0, self.provider.findData(fields.provider_id)))
            moment = (
                self._shown_started
                if fields.started_at == self._stored_started
                else self._displayed(fields.started_at)
            )
            if self.typed_started() != moment:  # never rewrite a date while it is being typed
                self.started.set_moment(moment)
            self.consent.setChecked(fields.consent_recorded)
            if self.concern.text().strip() != fields.concern:
                self.concern.setText(fields.concern)
            if self.notes.text().strip() != fields.notes:
                self.notes.setText(fields.notes)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
