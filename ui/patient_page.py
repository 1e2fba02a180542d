"""The main window's right side: the chosen patient, their visits with totals, the
injection sites of the chosen visit, and its left against right per area."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, tzinfo
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from models.amounts import format_dose
from models.records import ChartedPoint, PatientRecord, VisitRecord, VisitSummary
from models.regions import REGIONS
from models.totals import totals_by_paired_area
from ui.names import full_name_html, left_to_right
from ui.photo_strip import PhotoStrip, StripItem
from ui.table_model import Column, RecordTableModel, record_table
from ui.totals_panel import side_totals_model

if TYPE_CHECKING:  # Pillow is loaded with the photos service, not at start
    from app.services.photos import PhotoRecord

FIRST_STEPS = (
    "<b>No patients yet.</b> To begin:<ol>"
    "<li>File &gt; Injectors: register the injectors who chart visits.</li>"
    "<li>File &gt; Clinic details: the name, address and logo printed on records.</li>"
    "<li>New patient (Ctrl+Shift+N), then New visit.</li></ol>"
)
PER_ALIQUOT = Decimal("0.001")


def _totals_text(visit: VisitSummary) -> str:
    return "; ".join(f"{t.product_name} {format_dose(t.amount, t.unit)}" for t in visit.totals) or "—"


def patient_heading(patient: PatientRecord, today: date) -> str:
    """Name, chart, birth date and sex; allergies and alerts in colour. Every value is
    escaped: "lidocaine<epinephrine" must show in full, not as a tag. The heading reads left
    to right with the name isolated in it (ui/names.py), whatever the name's script."""
    age = patient.age_on(today)
    born = (
        f"born {patient.date_of_birth.isoformat()} ({age})"
        if patient.date_of_birth
        else "birth date not recorded"
    )
    allergies = (
        f"<span style='color:#b00020; font-weight:600'>Allergies: {escape(patient.allergies)}</span>"
        if patient.allergies.strip()
        else "No known allergies recorded"
    )
    if patient.alerts.strip():
        allergies += (
            f" &nbsp; <span style='color:#8a4b00; font-weight:600'>Alerts: {escape(patient.alerts)}</span>"
        )
    return left_to_right(
        f"{full_name_html(patient)} &nbsp;"
        f" chart {escape(patient.chart_number)} &nbsp; {born} &nbsp; {patient.sex.value}<br>{allergies}"
    )


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-weight: 600; margin-top: 6px;")
    return label


class PatientPage(QWidget):
    visit_chosen = Signal(object)
    """A `VisitSummary` was chosen in the visit list: its sites are to be loaded."""
    open_wanted = Signal()
    """The chosen visit is to be opened on the face map (double-click, Enter)."""

    def __init__(
        self,
        timezone: tzinfo,
        colour: Callable[[str], str | None],
        parent: QWidget | None = None,
        photo_strip: PhotoStrip | None = None,
    ):
        super().__init__(parent)
        self.timezone = timezone
        self.may_chart = True  # the signed-in role charts visits
        self.header = QLabel("Choose a patient on the left.")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.setStyleSheet("font-size: 15px; padding: 4px;")
        self.next_due = QLabel()
        self.next_due.setWordWrap(True)
        self.next_due.setStyleSheet("padding: 0 4px; color: #333")

        self.visit_model: RecordTableModel[VisitSummary] = RecordTableModel(
            [
                Column("Date", lambda v: v.started_at.astimezone(timezone).strftime("%Y-%m-%d %H:%M")),
                Column("Status", lambda v: v.status.value),
                Column("Kind", lambda v: v.kind.value),
                Column("Injector", lambda v: f"{v.provider_name} {v.provider_credentials}".strip()),
                Column("Totals", _totals_text),
            ],
            self,
        )
        self.visit_table = record_table(self.visit_model)
        self.visit_table.selectionModel().currentRowChanged.connect(self._visit_row_chosen)
        self.visit_table.doubleClicked.connect(lambda _index: self.open_wanted.emit())
        self.visit_table.activated.connect(lambda _index: self.open_wanted.emit())

        self.point_model: RecordTableModel[ChartedPoint] = RecordTableModel(
            [
                Column("Region", lambda p: REGIONS[p.region_code].label),
                Column("Product", lambda p: p.product_name, colour=lambda p: colour(p.product_name)),
                Column("Amount", lambda p: format_dose(p.amount, p.unit), align_right=True),
                Column("Aliquots", lambda p: str(p.aliquots), align_right=True),
                Column(
                    "Per aliquot",
                    lambda p: format_dose(p.amount_per_aliquot.quantize(PER_ALIQUOT), p.unit),
                    align_right=True,
                ),
                Column(
                    "Lot",
                    lambda p: p.lot_number or "—",
                    tooltip=lambda p: f"expires {p.lot_expiry.isoformat()}" if p.lot_expiry else "",
                ),
                Column("Depth", lambda p: p.depth.value if p.depth else "—"),
                Column(
                    "Technique",
                    lambda p: (
                        " ".join(filter(None, [p.technique.value if p.technique else "", p.gauge])) or "—"
                    ),
                ),
            ],
            self,
        )
        self.point_table = record_table(self.point_model)
        self.side_model = side_totals_model(colour, self)
        self.side_table = record_table(self.side_model)
        self.side_table.setMaximumHeight(140)

        self.new_visit_button = QPushButton("New visit")
        self.open_visit_button = QPushButton("Open visit")
        self.copy_visit_button = QPushButton("Copy previous visit")
        self.review_visit_button = QPushButton("New review visit")
        self.history_button = QPushButton("History PDF")
        self.compare_photos_button = QPushButton("Compare photos…")
        self.events_button = QPushButton("Adverse events…")
        self.events_button.setToolTip(
            "This patient's adverse events; record one, or log an occlusion's doses"
        )
        self.compare_photos_button.setToolTip(
            "A pose at two visits, side by side or blended, aligned on the eyes"
        )
        self.new_visit_button.setToolTip("Start charting a new visit for this patient (Ctrl+N)")
        self.new_visit_button.setShortcut("Ctrl+N")
        self.open_visit_button.setToolTip("Open the chosen visit on the face map (Enter)")
        self.copy_visit_button.setToolTip(
            "Start a new visit with the same sites, products, doses"
            " and aliquots as the newest one; choose current lots"
            " (Ctrl+Shift+C)"
        )
        self.copy_visit_button.setShortcut("Ctrl+Shift+C")
        self.history_button.setToolTip("Every visit with its map and doses per area, to print or save")
        self.open_visit_button.clicked.connect(self.open_wanted)
        buttons = QHBoxLayout()
        for button in self.buttons():
            button.setEnabled(False)
            buttons.addWidget(button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.next_due)
        layout.addLayout(buttons)
        layout.addWidget(_heading("Visits"))
        layout.addWidget(self.visit_table, 3)
        layout.addWidget(_heading("Injection sites of the chosen visit"))
        layout.addWidget(self.point_table, 4)
        layout.addWidget(_heading("Left against right, per area"))
        layout.addWidget(self.side_table, 1)
        # The patient's photos, visit by visit, each labelled with its visit's date; the
        # thumbnails are read as they scroll into view (ui/photo_strip.py).
        self.photo_heading = _heading("Photos")
        # The newest measured photo's asymmetry in mm, with the doses per side that visit.
        self.asymmetry = QLabel()
        self.asymmetry.setWordWrap(True)
        self.asymmetry.setTextFormat(Qt.TextFormat.PlainText)
        self.asymmetry.setAccessibleName("Measured asymmetry")
        self.asymmetry.hide()
        self.photo_strip = photo_strip
        layout.addWidget(self.photo_heading)
        self.photo_heading.hide()
        if photo_strip is not None:
            layout.addWidget(photo_strip)
            photo_strip.hide()
        layout.addWidget(self.asymmetry)

    def buttons(self) -> tuple[QPushButton, ...]:
        return (
            self.new_visit_button,
            self.open_visit_button,
            self.copy_visit_button,
            self.review_visit_button,
            self.history_button,
            self.compare_photos_button,
            self.events_button,
        )

    def set_charting_allowed(self, allowed: bool) -> None:
        """The signed-in role charts visits (front desk and admin accounts do not)."""
        self.may_chart = allowed
        has_patient = self.history_button.isEnabled()
        self.new_visit_button.setEnabled(allowed and has_patient)
        self.review_visit_button.setEnabled(allowed and has_patient)
        self.copy_visit_button.setEnabled(allowed and self.open_visit_button.isEnabled())

    def show_patient(self, patient: PatientRecord | None, empty_clinic: bool = False) -> None:
        """The patient's heading, their visits still to come; None: nobody is chosen."""
        self.next_due.clear()
        self.history_button.setEnabled(patient is not None)
        self.compare_photos_button.setEnabled(patient is not None)
        self.events_button.setEnabled(patient is not None)
        for button in (self.new_visit_button, self.review_visit_button):
            button.setEnabled(patient is not None and self.may_chart)
        self.open_visit_button.setEnabled(False)
        self.copy_visit_button.setEnabled(False)
        self.visit_model.set_records([])
        self.point_model.set_records([])
        self.side_model.set_records([])
        self.show_photos([], [])
        if patient is None:
            self.header.setText(FIRST_STEPS if empty_clinic else "No patient matches the search.")
        else:
            self.header.setText(patient_heading(patient, date.today()))

    def show_visits(self, visits: list[VisitSummary]) -> None:
        """Newest first; the newest chosen."""
        newest_first = list(reversed(visits))
        self.open_visit_button.setEnabled(bool(visits))
        self.copy_visit_button.setEnabled(bool(visits) and self.may_chart)
        self.visit_model.set_records(newest_first)
        if newest_first:
            self.visit_table.selectRow(0)

    def show_photos(self, photos: list[PhotoRecord], visits: list[VisitSummary]) -> None:
        """The patient's photos (oldest visit first), each with its visit's date."""
        if self.photo_strip is None:
            return
        dates = {v.id: v.started_at.astimezone(self.timezone).date() for v in visits}
        self.photo_strip.set_items([StripItem(p, dates.get(p.visit_id)) for p in photos])
        self.photo_heading.setText(f"Photos ({len(photos)})")
        self.photo_heading.setVisible(bool(photos))
        self.photo_strip.setVisible(bool(photos))
        if photos:
            self.photo_strip.scrollToBottom()  # the newest visit's photos in view
            self.photo_strip.load_visible()

    def show_asymmetry(self, lines: list[str]) -> None:
        self.asymmetry.setText("\n".join(lines))
        self.asymmetry.setVisible(bool(lines))

    def show_visit(self, visit: VisitRecord) -> None:
        self.point_model.set_records(visit.points)
        self.side_model.set_records(totals_by_paired_area(visit.points))

    def chosen_visit(self) -> VisitSummary | None:
        row = self.visit_table.currentIndex().row()
        return self.visit_model.record(row) if row >= 0 else None

    def _visit_row_chosen(self, current, _previous) -> None:  # type: ignore[no-untyped-def]
        if current.isValid():
            self.visit_chosen.emit(self.visit_model.record(current.row()))
