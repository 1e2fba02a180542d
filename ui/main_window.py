"""The main window: find a patient, see every visit with its totals, and what was
injected where, left against right."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.exports.interchange import ImportRun, export_patient_file, import_files_until_refused
from app.services.catalogue import list_products
from app.services.patients import search_patients, set_archived, suggest_chart_number
from app.services.providers import list_providers
from app.services.recall import describe_due, patient_due
from app.services.visits import OpenedVisit, get_visit, list_visits, open_visit, start_visit
from app.storage.autosave import discard_recovery, find_recoveries
from app.storage.database import Database, backup_sqlite
from app.storage.files import backup_path, suggested_file_name
from models.amounts import format_dose
from models.records import ChartedPoint, PatientRecord, VisitRecord, VisitSummary
from models.regions import REGIONS
from models.totals import PairedTotals, totals_by_paired_area
from models.vocabulary import VisitKind
from ui.actions import MainAction, create_actions
from ui.table_model import Column, RecordTableModel
from ui.tasks import TaskRunner
from ui.totals_panel import paired_columns

SEARCH_DELAY_MS = 200


def _totals_text(visit: VisitSummary) -> str:
    return "; ".join(f"{t.product_name} {format_dose(t.amount, t.unit)}" for t in visit.totals) or "—"


FIRST_STEPS = (
    "<b>No patients yet.</b> To begin:<ol>"
    "<li>File &gt; Injectors: register the injectors who chart visits.</li>"
    "<li>File &gt; Clinic details: the name, address and logo printed on records.</li>"
    "<li>New patient (Ctrl+Shift+N), then New visit.</li></ol>"
)


class MainWindow(QMainWindow):
    write_waiting = Signal()  # from any thread: a save waits for another program's write

    def __init__(self, database: Database, parent=None):
        super().__init__(parent)
        self.database = database
        self.tasks = TaskRunner(self)
        self.tasks.failed.connect(self._show_failure)
        self.write_waiting.connect(self._tell_write_waits)
        database.on_write_wait = self.write_waiting.emit
        self.product_colours: dict[str, str] = {}
        self.products = []
        self.current_patient: PatientRecord | None = None
        self.editors: list = []  # open visit editors
        self._new_visits = 0
        self.setWindowTitle(f"Aliquot — {database.name}")
        self.resize(1400, 860)

        self.actions = create_actions(self)
        self._build_menus()
        self._build_body()
        self.actions[MainAction.FIND_PATIENT].triggered.connect(self._focus_search)
        self.actions[MainAction.REFRESH].triggered.connect(self.refresh)
        self.actions[MainAction.SHOW_ARCHIVED].toggled.connect(self.refresh)
        self.actions[MainAction.QUIT].triggered.connect(self.close)
        self.actions[MainAction.NEW_PATIENT].triggered.connect(lambda: self.edit_patient(None))
        self.actions[MainAction.EDIT_PATIENT].triggered.connect(
            lambda: self.edit_patient(self.current_patient)
        )
        self.actions[MainAction.ARCHIVE_PATIENT].triggered.connect(self.toggle_archived)
        self.actions[MainAction.DUE_LIST].triggered.connect(self.show_due_list)
        self.actions[MainAction.NEW_REVIEW_VISIT].triggered.connect(
            lambda: self.new_visit(copy_previous=False, kind=VisitKind.REVIEW)
        )
        self.actions[MainAction.RECALL_SETTINGS].triggered.connect(self.edit_recall_settings)
        self.actions[MainAction.INJECTORS].triggered.connect(lambda: self.edit_injectors())
        self.actions[MainAction.CLINIC_DETAILS].triggered.connect(self.edit_clinic_details)
        self.actions[MainAction.BACKUP].triggered.connect(self.back_up)
        self.actions[MainAction.BACKUP].setEnabled(database.is_sqlite)
        if not database.is_sqlite:
            self.actions[MainAction.BACKUP].setStatusTip(
                "A PostgreSQL database is backed up on its server (pg_dump)"
            )
        self.actions[MainAction.IMPORT].triggered.connect(self.import_patient_files)
        self.actions[MainAction.EXPORT_PATIENT].triggered.connect(self.export_patient_file)
        # Backups, imports and exports have their own runner: a failure is told plainly,
        # not as a loading problem in the status bar.
        self.file_tasks = TaskRunner(self)
        self.file_tasks.failed.connect(lambda message: self.tell(self, "Not done", message))
        # one at a time: a second import must not hide the first one's report
        self.file_tasks.busy_changed.connect(self._file_work_busy)
        self.due_window = None

        self.tasks.run("catalogue", partial(list_products, database.factory, True), self._catalogue_loaded)
        self.refresh()
        # Charts left unsaved by a crash are offered once the catalogue the editor needs is in.
        self._recoveries_checked = False

    # ------------------------------------------------------------------ layout

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.actions[MainAction.INJECTORS])
        file_menu.addAction(self.actions[MainAction.CLINIC_DETAILS])
        file_menu.addSeparator()
        file_menu.addAction(self.actions[MainAction.IMPORT])
        file_menu.addAction(self.actions[MainAction.BACKUP])
        file_menu.addSeparator()
        file_menu.addAction(self.actions[MainAction.QUIT])
        patient_menu = self.menuBar().addMenu("&Patient")
        for entry in (
            MainAction.NEW_PATIENT,
            MainAction.EDIT_PATIENT,
            MainAction.ARCHIVE_PATIENT,
            MainAction.NEW_REVIEW_VISIT,
            MainAction.EXPORT_PATIENT,
        ):
            patient_menu.addAction(self.actions[entry])
        recall_menu = self.menuBar().addMenu("&Recall")
        recall_menu.addAction(self.actions[MainAction.DUE_LIST])
        recall_menu.addAction(self.actions[MainAction.RECALL_SETTINGS])
        view_menu = self.menuBar().addMenu("&View")
        for entry in (MainAction.FIND_PATIENT, MainAction.REFRESH, MainAction.SHOW_ARCHIVED):
            view_menu.addAction(self.actions[entry])

    def _table(self, model: RecordTableModel) -> QTableView:
        view = QTableView()
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setAlternatingRowColors(True)
        view.verticalHeader().hide()
        view.horizontalHeader().setStretchLastSection(True)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return view

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(text)
        label.setStyleSheet("font-weight: 600; margin-top: 6px;")
        return label

    def _build_body(self) -> None:
        today = date.today()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find a patient: name, chart number or birth date (YYYY-MM-DD)")
        self.search.setClearButtonEnabled(True)
        self.search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self.search.textChanged.connect(self.search_timer.start)
        self.search_timer.timeout.connect(self.refresh)

        self.patient_model: RecordTableModel[PatientRecord] = RecordTableModel(
            [
                Column("Chart", lambda p: p.chart_number),
                Column("Patient", lambda p: p.display_name + ("  (archived)" if p.archived else "")),
                Column("Born", lambda p: p.date_of_birth.isoformat() if p.date_of_birth else "—"),
                Column("Age", lambda p: str(p.age_on(today) or "—"), align_right=True),
            ],
            self,
        )
        self.patient_table = self._table(self.patient_model)
        self.patient_table.selectionModel().currentRowChanged.connect(self._patient_chosen)
        self.patient_count = QLabel()

        left = QWidget()
        left_layout = QVBoxLayout(left)
        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        new_patient = QPushButton("New patient")
        new_patient.clicked.connect(self.actions[MainAction.NEW_PATIENT].trigger)
        search_row.addWidget(new_patient)
        left_layout.addLayout(search_row)
        left_layout.addWidget(self.patient_table)
        left_layout.addWidget(self.patient_count)

        self.patient_header = QLabel("Choose a patient on the left.")
        self.patient_header.setTextFormat(Qt.TextFormat.RichText)
        self.patient_header.setWordWrap(True)
        self.patient_header.setStyleSheet("font-size: 15px; padding: 4px;")

        self.visit_model: RecordTableModel[VisitSummary] = RecordTableModel(
            [
                Column(
                    "Date",
                    lambda v: v.started_at.astimezone(self.database.timezone).strftime("%Y-%m-%d %H:%M"),
                ),
                Column("Status", lambda v: v.status.value),
                Column("Kind", lambda v: v.kind.value),
                Column("Injector", lambda v: f"{v.provider_name} {v.provider_credentials}".strip()),
                Column("Totals", _totals_text),
            ],
            self,
        )
        self.visit_table = self._table(self.visit_model)
        self.visit_table.selectionModel().currentRowChanged.connect(self._visit_chosen)
        self.visit_table.doubleClicked.connect(lambda _index: self.open_chosen_visit())
        self.visit_table.activated.connect(lambda _index: self.open_chosen_visit())

        def colour(record):
            return self.product_colours.get(record.product_name)

        self.point_model: RecordTableModel[ChartedPoint] = RecordTableModel(
            [
                Column("Region", lambda p: REGIONS[p.region_code].label),
                Column("Product", lambda p: p.product_name, colour=colour),
                Column("Amount", lambda p: format_dose(p.amount, p.unit), align_right=True),
                Column("Aliquots", lambda p: str(p.aliquots), align_right=True),
                Column(
                    "Per aliquot",
                    lambda p: format_dose(p.amount_per_aliquot.quantize(p.amount.__class__("0.001")), p.unit),
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
        self.point_table = self._table(self.point_model)

        self.side_model: RecordTableModel[PairedTotals] = RecordTableModel(
            paired_columns("Area", lambda name: self.product_colours.get(name)), self
        )
        self.side_table = self._table(self.side_model)
        self.side_table.setMaximumHeight(140)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.patient_header)
        self.next_due = QLabel()
        self.next_due.setWordWrap(True)
        self.next_due.setStyleSheet("padding: 0 4px; color: #333")
        right_layout.addWidget(self.next_due)
        buttons = QHBoxLayout()
        self.new_visit_button = QPushButton("New visit")
        self.open_visit_button = QPushButton("Open visit")
        self.copy_visit_button = QPushButton("Copy previous visit")
        self.new_visit_button.setToolTip("Start charting a new visit for this patient (Ctrl+N)")
        self.new_visit_button.setShortcut("Ctrl+N")
        self.open_visit_button.setToolTip("Open the chosen visit on the face map (Enter)")
        self.copy_visit_button.setToolTip(
            "Start a new visit with the same sites, products, doses"
            " and aliquots as the newest one; choose current lots"
            " (Ctrl+Shift+C)"
        )
        self.copy_visit_button.setShortcut("Ctrl+Shift+C")
        self.new_visit_button.clicked.connect(lambda: self.new_visit(copy_previous=False))
        self.copy_visit_button.clicked.connect(lambda: self.new_visit(copy_previous=True))
        self.history_button = QPushButton("History PDF")
        self.history_button.setToolTip("Every visit with its map and doses per area, to print or save")
        self.history_button.clicked.connect(self.show_history)
        self.open_visit_button.clicked.connect(self.open_chosen_visit)
        self.review_visit_button = QPushButton("New review visit")
        self.review_visit_button.setToolTip(
            self.actions[MainAction.NEW_REVIEW_VISIT].toolTip() + " (Ctrl+Shift+R)"
        )
        self.review_visit_button.clicked.connect(self.actions[MainAction.NEW_REVIEW_VISIT].trigger)
        for button in (
            self.new_visit_button,
            self.open_visit_button,
            self.copy_visit_button,
            self.review_visit_button,
            self.history_button,
        ):
            button.setEnabled(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        right_layout.addLayout(buttons)
        right_layout.addWidget(self._heading("Visits"))
        right_layout.addWidget(self.visit_table, 3)
        right_layout.addWidget(self._heading("Injection sites of the chosen visit"))
        right_layout.addWidget(self.point_table, 4)
        right_layout.addWidget(self._heading("Left against right, per area"))
        right_layout.addWidget(self.side_table, 1)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([480, 920])
        self.setCentralWidget(splitter)
        self.statusBar().showMessage(f"Database: {self.database.name}")

    # ------------------------------------------------------------------ behaviour

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def refresh(self) -> None:
        text = self.search.text()
        archived = self.actions[MainAction.SHOW_ARCHIVED].isChecked()
        self.tasks.run(
            "patients", partial(search_patients, self.database, text, archived), self._patients_loaded
        )

    def _catalogue_loaded(self, products) -> None:
        self.products = [p for p in products if p.active]
        self.product_colours = {p.name: p.colour for p in products}
        if not self._recoveries_checked:
            self._recoveries_checked = True
            self.tasks.run("recoveries", partial(find_recoveries, self.database), self._offer_recoveries)

    @classmethod
    def ask_recover(cls, parent, description: str) -> bool:
        """Tests replace this; at start the user is asked whether to reopen a lost chart."""
        answer = QMessageBox.question(
            parent,
            "Recover unsaved chart",
            f"{description}\n\nAliquot closed before this chart was saved. Open it again?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def _offer_recoveries(self, found) -> None:
        for recovered, patient, opened in found:
            when = recovered.saved_at.strftime("%Y-%m-%d %H:%M")
            description = (
                f"{patient.given_name} {patient.family_name} ({patient.chart_number}):"
                f" {len(recovered.points)} points, last changed {when}"
            )
            if self.ask_recover(self, description):
                editor = self._open_editor(patient, opened)
                editor.restore(recovered)
            else:
                discard_recovery(self.database, recovered.visit_id)

    def _patients_loaded(self, patients: list[PatientRecord]) -> None:
        self.patient_model.set_records(patients)
        shown = len(patients)
        self.patient_count.setText(
            f"{shown} patient{'s' if shown != 1 else ''}"
            if shown < 200
            else "First 200 patients: type more of the name to narrow the list"
        )
        if patients:
            self.patient_table.selectRow(0)
        else:
            self._show_patient(None)

    def _patient_chosen(self, current, _previous) -> None:
        if not current.isValid():
            return
        patient = self.patient_model.record(current.row())
        self._show_patient(patient)
        self.tasks.run(
            "visits", partial(list_visits, self.database, patient.chart_number), self._visits_loaded
        )
        today = datetime.now(self.database.timezone).date()
        self.tasks.run(
            "next-due",
            partial(patient_due, self.database, patient.id, today),
            lambda rows: self.next_due.setText(
                "Next due — " + (describe_due(rows) or "nothing: no maintenance pending")
            ),
        )

    def _clinic_is_empty(self) -> bool:
        """No patient at all, archived or not (asked only when an unfiltered list is empty)."""
        return not self.search.text().strip() and not search_patients(self.database, "", True, limit=1)

    def _show_patient(self, patient: PatientRecord | None) -> None:
        self.current_patient = patient
        self.next_due.clear()
        self.new_visit_button.setEnabled(patient is not None)
        self.review_visit_button.setEnabled(patient is not None)
        self.actions[MainAction.NEW_REVIEW_VISIT].setEnabled(patient is not None)
        self.history_button.setEnabled(patient is not None)
        self.actions[MainAction.EXPORT_PATIENT].setEnabled(patient is not None and self.file_tasks.is_idle())
        self.open_visit_button.setEnabled(False)
        self.copy_visit_button.setEnabled(False)
        self.visit_model.set_records([])
        self.point_model.set_records([])
        self.side_model.set_records([])
        if patient is None:
            self.patient_header.setText(
                FIRST_STEPS if self._clinic_is_empty() else "No patient matches the search."
            )
            return
        age = patient.age_on(date.today())
        born = (
            f"born {patient.date_of_birth.isoformat()} ({age})"
            if patient.date_of_birth
            else "birth date not recorded"
        )
        # Every value is escaped: "lidocaine<epinephrine" must show in full, not as a tag.
        allergies = (
            f"<span style='color:#b00020; font-weight:600'>Allergies: {escape(patient.allergies)}</span>"
            if patient.allergies.strip()
            else "No known allergies recorded"
        )
        if patient.alerts.strip():
            allergies += (
                f" &nbsp; <span style='color:#8a4b00; font-weight:600'>Alerts:"
                f" {escape(patient.alerts)}</span>"
            )
        self.patient_header.setText(
            f"<b>{escape(patient.given_name)} {escape(patient.family_name)}</b> &nbsp;"
            f" chart {escape(patient.chart_number)} &nbsp; {born} &nbsp; {patient.sex.value}<br>{allergies}"
        )

    def _visits_loaded(self, visits: list[VisitSummary]) -> None:
        newest_first = list(reversed(visits))
        self.open_visit_button.setEnabled(bool(visits))
        self.copy_visit_button.setEnabled(bool(visits))
        self.visit_model.set_records(newest_first)
        if newest_first:
            self.visit_table.selectRow(0)

    def _visit_chosen(self, current, _previous) -> None:
        if not current.isValid():
            return
        visit = self.visit_model.record(current.row())
        self.tasks.run("visit", partial(get_visit, self.database, visit.id), self._visit_loaded)

    def _visit_loaded(self, visit: VisitRecord) -> None:
        self.point_model.set_records(visit.points)
        self.side_model.set_records(totals_by_paired_area(visit.points))

    # ------------------------------------------------------------------ patients

    def edit_patient(self, patient: PatientRecord | None) -> None:
        from ui.patient_dialog import PatientDialog

        suggested = "" if patient else suggest_chart_number(self.database)
        saved = PatientDialog.ask(self.database, patient, suggested, self)
        if saved is not None:
            for editor in self.editors:  # an open visit shows the allergies and alerts as edited
                editor.set_patient(saved)
            self.search.setText(saved.chart_number)
            self.refresh()

    def toggle_archived(self) -> None:
        patient = self.current_patient
        if patient is not None:
            self.tasks.run(
                "archive",
                partial(set_archived, self.database, patient.id, not patient.archived),
                lambda _record: self.refresh(),
            )

    def show_history(self) -> None:
        from app.exports.records import history_pdf
        from ui.record_preview import RecordPreview

        patient = self.current_patient
        if patient is None:
            return
        self.preview = RecordPreview(
            f"History of {patient.given_name} {patient.family_name}",
            suggested_file_name(patient.chart_number, "history", suffix=".pdf"),
            partial(history_pdf, self.database, patient.chart_number),
            self,
        )
        self.preview.setWindowFlag(Qt.WindowType.Window)
        self.preview.show()

    # ------------------------------------------------------------------ recall

    def show_due_list(self) -> None:
        from ui.due_window import DueWindow

        if self.due_window is None:
            self.due_window = DueWindow(
                self.database, list_providers(self.database, include_inactive=True), self
            )
            self.due_window.setWindowFlag(Qt.WindowType.Window)
            self.due_window.patient_wanted.connect(self._show_chart)
        else:
            self.due_window.refresh()
        self.due_window.show()
        self.due_window.raise_()

    def _show_chart(self, chart_number: str) -> None:
        self.search.setText(chart_number)
        self.refresh()
        self.raise_()
        self.activateWindow()

    def edit_recall_settings(self) -> None:
        from ui.recall_settings import RecallSettingsDialog

        if RecallSettingsDialog.ask(self.database, self.products, self):
            self.tasks.run(
                "catalogue", partial(list_products, self.database.factory, True), self._catalogue_loaded
            )
            if self.due_window is not None:
                self.due_window.refresh()

    # ------------------------------------------------------------------ visits

    def open_chosen_visit(self) -> None:
        row = self.visit_table.currentIndex().row()
        if self.current_patient is None or row < 0:
            return
        visit_id = self.visit_model.record(row).id
        for editor in self.editors:  # one editor per visit: bring it to the front
            if editor.visit.id == visit_id:
                editor.raise_()
                editor.activateWindow()
                return
        self.tasks.run(
            f"open-visit-{visit_id}",
            partial(open_visit, self.database, visit_id),
            partial(self._open_editor, self.current_patient),
        )

    def edit_injectors(self, first_run: bool = False) -> bool:
        from ui.injectors_dialog import InjectorsDialog

        changed = InjectorsDialog.ask(self.database, self, first_run)
        if changed and self.due_window is not None:
            self.due_window.set_providers(list_providers(self.database, include_inactive=True))
        return changed

    def edit_clinic_details(self) -> None:
        from ui.clinic_dialog import ClinicDialog

        if ClinicDialog.ask(self.database, self):
            self.statusBar().showMessage("Clinic details saved: printed records use them from now on.", 8000)

    def back_up(self) -> None:
        source = Path(self.database.url.database or "aliquot.db")
        suggested = backup_path(source)
        path = self.ask_backup_path(self, str(suggested))
        if not path:
            return
        self.statusBar().showMessage("Backing up the database…")
        self.file_tasks.run(
            "backup",
            partial(backup_sqlite, self.database, Path(path)),
            lambda written: self.statusBar().showMessage(
                f"Backed up to {written} and read back whole.", 15000
            ),
        )

    def _file_work_busy(self, busy: bool) -> None:
        self.actions[MainAction.IMPORT].setEnabled(not busy)
        self.actions[MainAction.BACKUP].setEnabled(not busy and self.database.is_sqlite)
        self.actions[MainAction.EXPORT_PATIENT].setEnabled(not busy and self.current_patient is not None)

    def import_patient_files(self) -> None:
        paths = self.ask_import_paths(self)
        if not paths:
            return
        self.statusBar().showMessage(f"Importing {len(paths)} file{'s' if len(paths) > 1 else ''}…")
        self.file_tasks.run(
            "import",
            partial(import_files_until_refused, self.database, [Path(p) for p in paths]),
            self._imported,
        )

    def _imported(self, run: ImportRun) -> None:
        self.statusBar().showMessage(f"Imported {len(run.imported)} patient file(s).", 10000)
        self.refresh()
        if self.due_window is not None:
            self.due_window.refresh()
        self.tell(
            self,
            "Import stopped" if run.refused else "Import done",
            run.describe(),
            warning=bool(run.refused),
        )

    def export_patient_file(self) -> None:
        patient = self.current_patient
        if patient is None:
            return
        path = self.ask_save_path(
            self,
            "Export patient file",
            suggested_file_name(patient.chart_number, suffix=".json"),
            "Aliquot patient file (*.json)",
        )
        if path:  # an existing file was confirmed in the save dialog; a database is refused all the same
            self.file_tasks.run(
                "export",
                partial(export_patient_file, self.database, patient.chart_number, Path(path), replace=True),
                lambda written: self.statusBar().showMessage(
                    f"Exported {patient.chart_number} to {written}.", 15000
                ),
            )

    @classmethod
    def ask_backup_path(cls, parent, suggested: str) -> str | None:
        """Tests replace this."""
        # no overwrite question: a backup never replaces a file, it says so and stops
        return cls.ask_save_path(
            parent,
            "Back up the clinic database",
            suggested,
            "Aliquot database (*.db)",
            QFileDialog.Option.DontConfirmOverwrite,
        )

    @classmethod
    def ask_save_path(
        cls, parent, title: str, suggested: str, kinds: str, options=QFileDialog.Option(0)
    ) -> str | None:
        """Tests replace this. Unless told otherwise the dialog asks before returning an existing file."""
        path, _ = QFileDialog.getSaveFileName(parent, title, suggested, kinds, options=options)
        return path or None

    @classmethod
    def ask_import_paths(cls, parent) -> list[str]:
        """Tests replace this."""
        paths, _ = QFileDialog.getOpenFileNames(
            parent, "Import patient files", "", "Aliquot patient files (*.json)"
        )
        return paths

    @classmethod
    def tell(cls, parent, title: str, message: str, warning: bool = True) -> None:
        """Tests replace this."""
        (QMessageBox.warning if warning else QMessageBox.information)(parent, title, message)

    def new_visit(self, copy_previous: bool, kind: VisitKind = VisitKind.TREATMENT) -> None:
        """A new visit in the editor; a review visit is recorded at once (seen again)."""
        if self.current_patient is None:
            return
        # A new clinic's first visit: register who injects first (a one-row query).
        if not list_providers(self.database):
            self.edit_injectors(first_run=True)
            if not list_providers(self.database):
                self.statusBar().showMessage(
                    "A visit needs an injector: register one in File > Injectors.", 10000
                )
                return
        # Each new visit has its own channel: its result (a row already made) is never dropped.
        self._new_visits += 1
        self.tasks.run(
            f"new-visit-{self._new_visits}",
            partial(start_visit, self.database, self.current_patient.id, copy_previous, kind=kind),
            partial(self._open_editor, self.current_patient),
        )

    def _open_editor(self, patient: PatientRecord, opened: OpenedVisit) -> None:
        from ui.visit_editor import VisitEditor

        editor = VisitEditor(
            self.database,
            patient,
            opened.visit,
            self.products,
            opened.providers,
            opened.previous,
            opened.templates,
            created=opened.created,
            starting_pen=opened.starting_pen,
        )
        if opened.copied_points:
            editor.copy_points(opened.copied_points)
        editor.saved.connect(lambda _visit: self._patient_chosen(self.patient_table.currentIndex(), None))
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.destroyed.connect(lambda: self.editors.remove(editor) if editor in self.editors else None)
        self.editors.append(editor)
        editor.show()
        self._patient_chosen(self.patient_table.currentIndex(), None)
        return editor

    def _show_failure(self, message: str) -> None:
        self.statusBar().showMessage(f"Could not load: {message}", 15000)

    def _tell_write_waits(self) -> None:
        self.statusBar().showMessage("Waiting for another program writing to the database…", 30_000)
        self.statusBar().repaint()  # shown even while a save on this thread waits

    def closeEvent(self, event) -> None:
        self.tasks.wait()
        self.file_tasks.wait()  # an import, export or backup under way finishes first
        super().closeEvent(event)
