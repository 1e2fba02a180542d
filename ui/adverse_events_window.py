"""The clinic's adverse events: the list (newest first), a form to record one for a patient,
and for the chosen event its timed log. A vascular occlusion's log takes each hyaluronidase
dose (time, amount, sites, lot) and each assessment (capillary refill, skin colour, pain,
vision), and a clock shows the time since onset and when the next dose is due by the
common hourly protocol: a reminder, never a rule. Hyaluronidase is never held back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.adverse_events import (
    AdverseEventRecord,
    LogLine,
    close_adverse_event,
    list_adverse_events,
    log_assessment,
    log_dose,
    report_adverse_event,
)
from app.services.catalogue import list_products
from app.services.photos import PhotoRecord, add_event_photo_files, event_photos, thumbnails
from app.services.stock import barcode_products
from app.services.visits import list_visits
from app.storage.database import Database
from models.dates import Century
from models.errors import ValidationError
from models.records import ProductRecord, VisitSummary
from models.regions import REGIONS
from models.vocabulary import EventKind, LogEntryKind, Severity
from ui.amount_field import AmountField
from ui.date_field import DateField, DateTimeField, years_from_today
from ui.photo_strip import PhotoStrip, StripItem, choose_photo_files, photo_paths
from ui.point_form import scanned_into
from ui.region_picker import RegionPicker
from ui.table_model import Column, RecordTableModel, record_table
from ui.tasks import TaskRunner

DOSE_EVERY = timedelta(minutes=60)  # a common protocol's interval: shown as a reminder only
TICK_MS = 15_000
REFUSED_STYLE = "color: #8e0016"
CLOCK_STYLE = "QLabel {background: #fff4e5; color: #7a3e00; border: 1px solid #e0a040; padding: 4px 8px}"


def _span(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def clock_text(event: AdverseEventRecord, now: datetime) -> str:
    """'since onset: 1 h 05 min · next dose due in 55 min' for a vascular occlusion; '' otherwise."""
    if event.kind is not EventKind.VASCULAR_OCCLUSION:
        return ""
    text = f"since onset: {_span(now - event.onset_at)}"
    doses = [line.at for line in event.log if line.kind is LogEntryKind.DOSE]
    if not doses:
        return text + " · no hyaluronidase dose logged yet"
    due = max(doses) + DOSE_EVERY
    if due > now:
        return text + f" · next dose due in {_span(due - now + timedelta(seconds=59))}"
    return text + f" · next dose was due {_span(now - due)} ago"


def _optional_decimal(text: str, what: str) -> Decimal | None:
    written = text.strip().replace(",", ".")
    if not written:
        return None
    try:
        return Decimal(written)
    except InvalidOperation:
        raise ValidationError(f"{what} {text.strip()!r} is not a number of seconds", "refill") from None


class AdverseEventsWindow(QMainWindow):
    def __init__(
        self,
        database: Database,
        parent=None,
        tasks: TaskRunner | None = None,
        may_chart: bool = True,
        clock: Callable[[], datetime] | None = None,
        ticker: Any = None,  # a timer with timeout/start (tests: tests/ui/timers.py ManualTimer)
        chart_number: str | None = None,
    ):
        super().__init__(parent)
        self.database = database
        if tasks is None:
            tasks = TaskRunner(self)
            tasks.failed.connect(self._failed)
        self.tasks = tasks
        self.clock = clock or (lambda: datetime.now(UTC))
        self.events: list[AdverseEventRecord] = []
        self.chosen_id: int | None = None
        self.may_chart = may_chart
        self.adding_photos = False
        self.barcodes: dict[str, str] = {}  # GTIN -> product, as the clinic mapped its boxes
        self.setWindowTitle("Adverse events — Aliquot")
        self.resize(1300, 820)
        zone = database.timezone

        # The clinic list.
        self.model: RecordTableModel[AdverseEventRecord] = RecordTableModel(
            [
                Column("Onset", lambda e: f"{e.onset_at.astimezone(zone):%Y-%m-%d %H:%M}"),
                Column("Chart", lambda e: e.chart_number),
                Column("Patient", lambda e: e.patient_name),
                Column("Event", lambda e: e.kind.value.replace("-", " ")),
                Column("Severity", lambda e: e.severity.value),
                Column("Visit", lambda e: str(e.visit_id) if e.visit_id else "—", align_right=True),
                Column("Log", lambda e: str(len(e.log)), align_right=True),
                Column("Outcome", lambda e: e.outcome or "open", tooltip=lambda e: e.description),
            ],
            self,
        )
        self.table = record_table(self.model, fit_columns=False)
        self.table.selectionModel().currentRowChanged.connect(self._row_chosen)
        self.count = QLabel()

        # Recording an event.
        self.chart = QLineEdit(chart_number or "")
        self.chart.setPlaceholderText("chart number, e.g. A-0042")
        self.chart.setAccessibleName("Chart number")
        self.chart.editingFinished.connect(self.load_visits)
        self.visit = QComboBox()
        self.visit.setAccessibleName("Visit")
        self.visit.addItem("No visit", None)
        self.kind = QComboBox()
        for kind in EventKind:
            self.kind.addItem(kind.value.replace("-", " ").capitalize(), kind.value)
        self.severity = QComboBox()
        for severity in Severity:
            self.severity.addItem(severity.value.capitalize(), severity.value)
        self.onset = DateTimeField(Century.NEAR, date.today)
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText("what was seen: blanching, mottling, pain, where")
        self.description.setFixedHeight(56)
        self.actions_taken = QPlainTextEdit()
        self.actions_taken.setPlaceholderText("what was done: massage, warm compress, hyaluronidase")
        self.actions_taken.setFixedHeight(56)
        self.regions = RegionPicker()
        self.regions.setFixedSize(210, 270)
        self.referral = QLineEdit()
        self.referral.setPlaceholderText("referred to: ophthalmology, emergency department, the prescriber")
        self.referral.setAccessibleName("Referral")
        self.record_button = QPushButton("Record event")
        self.record_button.clicked.connect(self.record)
        self.record_message = QLabel()
        self.record_message.setTextFormat(Qt.TextFormat.PlainText)
        self.record_message.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Chart:", self.chart)
        form.addRow("&Visit:", self.visit)
        form.addRow("&Event:", self.kind)
        form.addRow("Se&verity:", self.severity)
        form.addRow("&Onset:", self.onset)
        form.addRow("&Description:", self.description)
        form.addRow("&Actions:", self.actions_taken)
        form.addRow("&Referral:", self.referral)
        form.addRow(self.record_button, self.record_message)
        regions = QVBoxLayout()
        regions.addWidget(QLabel("Regions affected:"))
        regions.addWidget(self.regions)
        regions.addStretch(1)
        record_layout = QHBoxLayout()
        record_layout.addLayout(form, 1)
        record_layout.addLayout(regions)
        self.record_box = QGroupBox("Record an adverse event")
        self.record_box.setLayout(record_layout)

        # The chosen event and its timed log.
        self.heading = QLabel("Choose an event in the list.")
        self.heading.setWordWrap(True)
        self.clock_label = QLabel()
        self.clock_label.setWordWrap(True)  # long reminders wrap: the form beside keeps its width
        self.clock_label.setAccessibleName("Clock since onset")
        self.clock_label.setStyleSheet(CLOCK_STYLE)
        self.clock_label.hide()
        self.log_model: RecordTableModel[LogLine] = RecordTableModel(
            [
                Column("Time", lambda line: f"{line.at.astimezone(zone):%Y-%m-%d %H:%M}"),
                Column("After onset", self._after_onset, align_right=True),
                Column("Entry", lambda line: line.kind.value),
                Column("What", lambda line: line.words, tooltip=lambda line: line.words),
            ],
            self,
        )
        self.log_table = QTableView()
        self.log_table.setModel(self.log_model)
        self.log_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.log_table.verticalHeader().hide()
        self.log_table.horizontalHeader().setStretchLastSection(True)
        self.dose_button = QPushButton("Hyaluronidase dose…")
        self.dose_button.setToolTip("Log a dose as given: hyaluronidase is never held back by a safety rule")
        self.dose_button.clicked.connect(lambda: self._show_form(self.dose_box))
        self.assess_button = QPushButton("Assessment…")
        self.assess_button.clicked.connect(lambda: self._show_form(self.assess_box))
        self.outcome_button = QPushButton("Outcome…")
        self.outcome_button.setToolTip("How the event ended, and a follow-up day")
        self.outcome_button.clicked.connect(lambda: self._show_form(self.outcome_box))
        self.photos_button = QPushButton("Add photos…")
        self.photos_button.setToolTip(
            "Photos of the event as it was seen, kept with the event (drop files on the strip too)"
        )
        self.photos_button.clicked.connect(
            lambda: self.add_photos([Path(p) for p in self.ask_photo_paths(self)])
        )
        self.photo_strip = PhotoStrip(self.tasks, partial(thumbnails, database), self)
        self.photo_strip.files_dropped.connect(self.add_photos)
        self.photo_strip.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.dose_button)
        buttons.addWidget(self.assess_button)
        buttons.addWidget(self.outcome_button)
        buttons.addWidget(self.photos_button)
        buttons.addStretch(1)
        self._build_dose_form()
        self._build_assessment_form()
        self._build_outcome_form()
        self.log_message = QLabel()
        self.log_message.setTextFormat(Qt.TextFormat.PlainText)  # file names, typed lots
        self.log_message.setWordWrap(True)

        detail = QWidget()
        detail_layout = QVBoxLayout(detail)
        detail_layout.addWidget(self.heading)
        detail_layout.addWidget(self.clock_label)
        detail_layout.addWidget(self.log_table, 1)
        detail_layout.addWidget(self.photo_strip)
        detail_layout.addLayout(buttons)
        detail_layout.addWidget(self.dose_box)
        detail_layout.addWidget(self.assess_box)
        detail_layout.addWidget(self.outcome_box)
        detail_layout.addWidget(self.log_message)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.count)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.record_box)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(detail)
        splitter.setSizes([680, 620])
        self.setCentralWidget(splitter)

        self.ticker = ticker if ticker is not None else QTimer(self, interval=TICK_MS)
        self.ticker.timeout.connect(self._tick)
        self.ticker.start()
        self._set_onset_now()
        self.set_charting_allowed(may_chart)
        self._show_event(None)
        self.tasks.run(
            "event-products",
            partial(list_products, database.factory),
            self._products_loaded,
            owner=self,
        )
        self.tasks.run(
            "event-barcodes", partial(barcode_products, database), self._barcodes_loaded, owner=self
        )
        if chart_number:
            self.load_visits()
        self.refresh()

    # ------------------------------------------------------------------ forms

    def _build_dose_form(self) -> None:
        self.dose_time = DateTimeField(Century.NEAR, date.today)
        self.dose_product = QComboBox()
        self.dose_product.setAccessibleName("Enzyme product")
        self.dose_product.currentIndexChanged.connect(self._dose_product_chosen)
        self.dose_amount = AmountField()
        self.dose_lot = QLineEdit()
        self.dose_lot.setPlaceholderText("optional; or scan the box")
        self.dose_lot.setAccessibleName("Lot")
        self.dose_lot.editingFinished.connect(self._dose_lot_typed)
        self.dose_expiry = DateField(Century.NEAR, years_from_today(1), month_end=True)
        self.dose_expiry.line.setPlaceholderText("a new lot's expiry, e.g. 2027-08")
        self.dose_sites = QListWidget()
        self.dose_sites.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        self.dose_sites.setAccessibleName("Sites")
        self.dose_sites.setFixedHeight(90)
        for code, region in sorted(REGIONS.items(), key=lambda item: item[1].label):
            item = QListWidgetItem(region.label)
            item.setData(Qt.ItemDataRole.UserRole, code)
            self.dose_sites.addItem(item)
        self.dose_save = QPushButton("Log dose")
        self.dose_save.clicked.connect(self.save_dose)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(lambda: self.dose_box.hide())
        row = QHBoxLayout()
        row.addWidget(self.dose_save)
        row.addWidget(cancel)
        row.addStretch(1)
        form = QFormLayout()
        form.addRow("Time:", self.dose_time)
        form.addRow("Product:", self.dose_product)
        form.addRow("Amount:", self.dose_amount)
        form.addRow("Lot:", self.dose_lot)
        form.addRow("Lot expiry:", self.dose_expiry)
        form.addRow("Sites:", self.dose_sites)
        form.addRow(row)
        self.dose_box = QGroupBox("Hyaluronidase dose (recorded as given, never held back)")
        self.dose_box.setLayout(form)
        self.dose_box.hide()

    def _build_assessment_form(self) -> None:
        self.assess_time = DateTimeField(Century.NEAR, date.today)
        self.refill = QLineEdit()
        self.refill.setPlaceholderText("seconds, e.g. 2")
        self.refill.setAccessibleName("Capillary refill")
        self.colour = QLineEdit()
        self.colour.setPlaceholderText("e.g. pink, pale, mottled, dusky")
        self.colour.setAccessibleName("Skin colour")
        self.pain = QSpinBox(minimum=-1, maximum=10, value=-1)
        self.pain.setSpecialValueText("not scored")
        self.pain.setAccessibleName("Pain 0–10")
        self.vision = QLineEdit()
        self.vision.setPlaceholderText("e.g. normal, blurred left")
        self.vision.setAccessibleName("Vision")
        self.assess_save = QPushButton("Log assessment")
        self.assess_save.clicked.connect(self.save_assessment)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(lambda: self.assess_box.hide())
        row = QHBoxLayout()
        row.addWidget(self.assess_save)
        row.addWidget(cancel)
        row.addStretch(1)
        form = QFormLayout()
        form.addRow("Time:", self.assess_time)
        form.addRow("Capillary refill (s):", self.refill)
        form.addRow("Skin colour:", self.colour)
        form.addRow("Pain (0–10):", self.pain)
        form.addRow("Vision:", self.vision)
        form.addRow(row)
        self.assess_box = QGroupBox("Assessment")
        self.assess_box.setLayout(form)
        self.assess_box.hide()

    def _build_outcome_form(self) -> None:
        self.outcome = QLineEdit()
        self.outcome.setPlaceholderText("e.g. resolved, no necrosis; ptosis settled at 4 weeks")
        self.outcome.setAccessibleName("Outcome")
        self.follow_up = QLineEdit()
        self.follow_up.setPlaceholderText("YYYY-MM-DD (optional)")
        self.follow_up.setAccessibleName("Follow-up day")
        self.outcome_save = QPushButton("Save outcome")
        self.outcome_save.clicked.connect(self.save_outcome)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(lambda: self.outcome_box.hide())
        row = QHBoxLayout()
        row.addWidget(self.outcome_save)
        row.addWidget(cancel)
        row.addStretch(1)
        form = QFormLayout()
        form.addRow("Outcome:", self.outcome)
        form.addRow("Follow-up:", self.follow_up)
        form.addRow(row)
        self.outcome_box = QGroupBox("Outcome")
        self.outcome_box.setLayout(form)
        self.outcome_box.hide()

    def save_outcome(self) -> None:
        event = self.chosen
        if event is None:
            return
        typed = self.follow_up.text().strip()
        try:
            follow_up = date.fromisoformat(typed) if typed else None
        except ValueError:
            self._say_log_refusal(f"{typed!r} is not a day like 2026-12-17")
            return
        self.tasks.run(
            "event-outcome",
            partial(close_adverse_event, self.database, event.id, self.outcome.text(), follow_up),
            partial(self._logged, self.outcome_box),
            refused=self._say_log_refusal,
            failed=self._say_log_refusal,
            owner=self,
        )

    def _now_here(self) -> datetime:
        return self.clock().astimezone(self.database.timezone).replace(second=0, microsecond=0, tzinfo=None)

    def _set_onset_now(self) -> None:
        self.onset.set_moment(self._now_here())

    def _show_form(self, box: QGroupBox) -> None:
        for other in (self.dose_box, self.assess_box, self.outcome_box):
            other.setVisible(other is box)
        if box is self.outcome_box:
            self.log_message.clear()
            return
        (self.dose_time if box is self.dose_box else self.assess_time).set_moment(self._now_here())
        event = self.chosen
        doses = [line.words for line in event.log if line.kind is LogEntryKind.DOSE] if event else []
        if box is self.dose_box and doses:  # the enzyme of the last dose: the vial in hand
            for index in range(self.dose_product.count()):
                if doses[-1].startswith(self.dose_product.itemText(index) + " "):
                    self.dose_product.setCurrentIndex(index)
        self.log_message.clear()

    def _aware(self, field: DateTimeField) -> datetime:
        return field.moment().replace(tzinfo=self.database.timezone)

    def set_charting_allowed(self, allowed: bool) -> None:
        """A role that may not chart (front desk) reads the list but records nothing."""
        self.may_chart = allowed
        self.record_box.setEnabled(allowed)
        self.record_button.setEnabled(allowed)
        self._enable_log_buttons()
        if not allowed:
            self.dose_box.hide()
            self.assess_box.hide()
            self.outcome_box.hide()
        self.record_box.setToolTip("" if allowed else "Your role may read adverse events but not record them")

    def _enable_log_buttons(self) -> None:
        enabled = self.may_chart and self.chosen is not None
        self.photos_button.setEnabled(enabled and not self.adding_photos)
        self.dose_button.setEnabled(enabled)
        self.assess_button.setEnabled(enabled)
        self.outcome_button.setEnabled(enabled)

    # ------------------------------------------------------------------ loading

    def refresh(self) -> None:
        self.tasks.run(
            "adverse-events",
            partial(list_adverse_events, self.database),
            self._loaded,
            refused=self._failed,
            owner=self,
            failed=self._failed,
        )

    def _loaded(self, events: list[AdverseEventRecord]) -> None:
        self.events = events
        self.model.set_records(events)
        self.table.resizeColumnsToContents()
        self.count.setText(f"{len(events)} adverse event{'s' if len(events) != 1 else ''} (newest first)")
        self.count.setStyleSheet("")
        self._choose(self.chosen_id)

    def _failed(self, message: str) -> None:
        self.count.setText(f"Not shown: {message}")
        self.count.setStyleSheet(REFUSED_STYLE)

    def _products_loaded(self, products: list[ProductRecord]) -> None:
        self.dose_product.clear()
        for product in products:
            if product.kind == "enzyme" and product.active:
                self.dose_product.addItem(product.name, product)

    def _dose_product_chosen(self) -> None:
        product = self.dose_product.currentData()
        self.dose_amount.set_unit(product.dose_unit if product else None, product.name if product else "")

    def load_visits(self) -> None:
        chart = self.chart.text().strip()
        if not chart:
            self._visits_loaded([])
            return
        self.tasks.run(
            "event-visits",
            partial(list_visits, self.database, chart),
            self._visits_loaded,
            refused=self._say_refusal,
            owner=self,
        )

    def _visits_loaded(self, visits: list[VisitSummary]) -> None:
        zone = self.database.timezone
        self.visit.clear()
        self.visit.addItem("No visit", None)
        for visit in reversed(visits):  # the newest first: the visit the event most likely follows
            products = ", ".join(t.product_name for t in visit.totals) or visit.kind.value
            self.visit.addItem(
                f"{visit.started_at.astimezone(zone):%Y-%m-%d %H:%M} — {products} ({visit.provider_name})",
                visit.id,
            )
        if visits:
            self.visit.setCurrentIndex(1)
        self.record_message.clear()

    # ------------------------------------------------------------------ the chosen event

    @property
    def chosen(self) -> AdverseEventRecord | None:
        return next((e for e in self.events if e.id == self.chosen_id), None)

    def _row_chosen(self, current, _previous) -> None:
        if current.isValid():
            self.chosen_id = self.model.record(current.row()).id
            self._show_event(self.chosen)

    def _choose(self, event_id: int | None) -> None:
        row = next((i for i, e in enumerate(self.events) if e.id == event_id), None)
        if row is not None:
            self.table.selectRow(row)
        self._show_event(self.chosen)

    def _show_event(self, event: AdverseEventRecord | None) -> None:
        self._enable_log_buttons()
        if event is None:
            self.heading.setText("Choose an event in the list.")
            self.log_model.set_records([])
            self.clock_label.hide()
            self.photo_strip.set_items([])
            self.photo_strip.hide()
            return
        zone = self.database.timezone
        visit = f", after visit {event.visit_id}" if event.visit_id else ""
        details = [
            ("Regions", ", ".join(REGIONS[code].label for code in event.regions if code in REGIONS)),
            ("Seen", event.description),
            ("Done", event.actions),
            ("Referred to", event.referral),
        ]
        self.heading.setText(
            f"<b>{event.kind.value.replace('-', ' ').capitalize()}</b> ({event.severity.value}) —"
            f" {escape(event.patient_name)}, {escape(event.chart_number)}{visit}<br>"
            f"Onset {event.onset_at.astimezone(zone):%Y-%m-%d %H:%M}, recorded by {escape(event.recorded_by)}."
            + "".join(f"<br><b>{name}:</b> {escape(text)}" for name, text in details if text)
        )
        self.log_model.set_records(event.log)
        self.log_table.resizeColumnsToContents()
        self.tasks.run(
            f"event-photos-{id(self)}",
            partial(event_photos, self.database, event.id),
            self._photos_loaded,
            owner=self,
        )
        self._tick()

    def _photos_loaded(self, photos: list[PhotoRecord]) -> None:
        if all(p.adverse_event_id == self.chosen_id for p in photos):  # not a previous choice's
            self.photo_strip.set_items([StripItem(p) for p in photos])
            self.photo_strip.setVisible(bool(photos))

    @classmethod
    def ask_photo_paths(cls, parent: QWidget) -> list[str]:
        """Tests replace this."""
        return choose_photo_files(parent, "Add photos of this event")

    def add_photos(self, paths: list[Path]) -> None:
        """Keep these files as photos of the chosen event; a refused file is named, the
        others still go in."""
        event = self.chosen
        paths = photo_paths(paths)
        if event is None or not paths or not self.may_chart:
            return
        if self.adding_photos:  # one batch at a time: its result is said whole
            self._say_log_refusal("photos are still being added: drop these again when they are in")
            return
        self.adding_photos = True
        self.photos_button.setEnabled(False)
        self.log_message.setStyleSheet("")
        self.log_message.setText(f"Adding {len(paths)} photo{'s' if len(paths) > 1 else ''}…")
        self.tasks.run(
            "event-photos-add",
            partial(add_event_photo_files, self.database, event.id, paths),
            self._photos_added,
            refused=self._say_log_refusal,
            failed=self._say_log_refusal,
            owner=self,
            ended=self._photos_ended,
        )

    def _photos_ended(self) -> None:
        self.adding_photos = False
        self._enable_log_buttons()

    def _photos_added(self, result: tuple[list[PhotoRecord], list[str]]) -> None:
        added, refused = result
        shown = {r.id for r in self.photo_strip.records()}  # a reload may have shown some already
        for record in added:
            if record.adverse_event_id == self.chosen_id and record.id not in shown:
                self.photo_strip.append(StripItem(record))
        self.photo_strip.setVisible(self.photo_strip.photos.rowCount() > 0)
        said = f"Added {len(added)} photo{'s' if len(added) != 1 else ''}."
        if refused:
            self.log_message.setStyleSheet(REFUSED_STYLE)
            said += " Not added: " + "; ".join(refused)
        self.log_message.setText(said)

    def _after_onset(self, line: LogLine) -> str:
        event = self.chosen
        return f"+{_span(line.at - event.onset_at)}" if event is not None else ""

    def _tick(self) -> None:
        event = self.chosen
        text = clock_text(event, self.clock()) if event is not None else ""
        self.clock_label.setText(
            f"{text}   (reminder: a dose every 60 min is a common protocol, not a rule)" if text else ""
        )
        self.clock_label.setVisible(bool(text))
        if not self.ticker.isActive():
            self.ticker.start()  # a single-shot timer goes again

    # ------------------------------------------------------------------ recording

    def _say_refusal(self, message: str) -> None:
        self.record_message.setStyleSheet(REFUSED_STYLE)
        self.record_message.setText(message)

    def _say_log_refusal(self, message: str) -> None:
        self.log_message.setStyleSheet(REFUSED_STYLE)
        self.log_message.setText(message)

    def record(self) -> None:
        try:
            onset = self._aware(self.onset)
        except ValidationError as refused:
            self._say_refusal(str(refused))
            return
        self.record_button.setEnabled(False)
        self.tasks.run(
            "event-record",
            partial(
                report_adverse_event,
                self.database,
                self.chart.text().strip(),
                EventKind(self.kind.currentData()),  # a combo gives an enum's value back
                Severity(self.severity.currentData()),
                onset,
                self.visit.currentData(),
                self.regions.regions(),
                self.description.toPlainText(),
                self.actions_taken.toPlainText(),
                self.referral.text(),
            ),
            self._recorded,
            refused=self._say_refusal,
            owner=self,
            ended=lambda: self.record_button.setEnabled(self.may_chart),
            failed=self._say_refusal,
        )

    def _recorded(self, event: AdverseEventRecord) -> None:
        self.record_message.setStyleSheet("")
        self.record_message.setText(f"Recorded: event {event.id}.")
        self.description.clear()
        self.actions_taken.clear()
        self.referral.clear()
        self.regions.set_regions(())
        self._updated(event)

    def _updated(self, event: AdverseEventRecord) -> None:
        """The event as the service returned it, shown at once; the list follows."""
        self.chosen_id = event.id
        self.events = [event] + [e for e in self.events if e.id != event.id]
        self._show_event(event)
        self.refresh()

    def _barcodes_loaded(self, barcodes: dict[str, str]) -> None:
        self.barcodes = barcodes

    def _scanned_dose_lot(self) -> None:
        """A scanned enzyme box: its lot and expiry, refused when it is another product."""
        product = self.dose_product.currentData()
        scanned_into(self.dose_lot, self.dose_expiry, product.name if product else None, self.barcodes)

    def _dose_lot_typed(self) -> None:
        try:
            self._scanned_dose_lot()
        except ValidationError as refused:
            self._say_log_refusal(f"the scanned box could not be read: {refused}")

    def save_dose(self) -> None:
        event = self.chosen
        product = self.dose_product.currentData()
        if event is None or product is None:
            self._say_log_refusal("choose an event and an enzyme product")
            return
        try:
            self._scanned_dose_lot()  # a scan not yet read (no Enter after it)
            at = self._aware(self.dose_time)
            amount = self.dose_amount.amount()
            expiry = self.dose_expiry.date()
        except ValidationError as refused:
            self._say_log_refusal(str(refused))
            return
        sites = tuple(item.data(Qt.ItemDataRole.UserRole) for item in self.dose_sites.selectedItems())
        self.dose_save.setEnabled(False)
        self.tasks.run(
            "event-dose",
            partial(
                log_dose,
                self.database,
                event.id,
                at,
                product.name,
                amount,
                self.dose_lot.text().strip() or None,
                expiry,
                sites,
            ),
            partial(self._logged, self.dose_box),
            refused=self._say_log_refusal,
            owner=self,
            ended=lambda: self.dose_save.setEnabled(True),
            failed=self._say_log_refusal,
        )

    def save_assessment(self) -> None:
        event = self.chosen
        if event is None:
            return
        try:
            at = self._aware(self.assess_time)
            refill = _optional_decimal(self.refill.text(), "the capillary refill")
        except ValidationError as refused:
            self._say_log_refusal(str(refused))
            return
        pain = self.pain.value() if self.pain.value() >= 0 else None
        self.assess_save.setEnabled(False)
        self.tasks.run(
            "event-assessment",
            partial(
                log_assessment,
                self.database,
                event.id,
                at,
                refill,
                self.colour.text(),
                pain,
                self.vision.text(),
            ),
            partial(self._logged, self.assess_box),
            refused=self._say_log_refusal,
            owner=self,
            ended=lambda: self.assess_save.setEnabled(True),
            failed=self._say_log_refusal,
        )

    def _logged(self, box: QGroupBox, event: AdverseEventRecord) -> None:
        box.hide()
        self.log_message.setStyleSheet("")
        self.log_message.setText("Logged.")
        self._updated(event)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.ticker.stop()
        self.tasks.wait()
        super().closeEvent(event)
