"""The main window: find a patient, see every visit with its totals, and what was
injected where, left against right. The patient list (ui/patient_list.py) and the patient
page (ui/patient_page.py) are its two halves; this file wires them to the services, which
run on the application's one task runner, and redraws from its `changed` signal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QWidget

from app.services.catalogue import list_products
from app.services.changes import Changes
from app.services.patients import look_up_patients, search_patients, set_archived, suggest_chart_number
from app.services.providers import list_providers
from app.storage.database import Database
from app.storage.files import suggested_file_name
from models.accounts import Permission, SignedInUser
from models.records import PatientRecord, VisitRecord, VisitSummary
from models.vocabulary import VisitKind
from ui.actions import MainAction, create_actions
from ui.names import LRM, full_name
from ui.patient_list import SEARCH_DELAY_MS, PatientList
from ui.patient_page import FIRST_STEPS, PatientPage
from ui.photo_strip import PhotoStrip
from ui.session import WorkSession
from ui.tasks import TaskRunner
from ui.visit_saving import TimerSource

if TYPE_CHECKING:
    from app.exports.interchange import ImportRun
    from app.services.photos import PhotoRecord
    from app.services.visits import OpenedVisit

__all__ = ["FIRST_STEPS", "SEARCH_DELAY_MS", "MainWindow"]


def find_patients(database: Database, text: str, archived: bool) -> tuple[list[PatientRecord], bool]:
    """The patients the search lists, and whether the clinic has none at all (asked only when
    an unfiltered list is empty: a new clinic is shown its first steps)."""
    patients = look_up_patients(database, text, archived)  # a search typed: audited
    empty = not patients and not text.strip() and not search_patients(database, "", True, limit=1)
    return patients, empty


@dataclass(frozen=True)
class PatientPageData:
    """What the patient page shows of a patient, asked for in one task."""

    visits: list[VisitSummary]
    next_due: str
    newest: VisitRecord | None  # the newest visit with its points: chosen first
    photos: list[PhotoRecord] = field(default_factory=list)  # visit by visit, no image read
    asymmetry: list[str] = field(default_factory=list)  # the latest measured photo, in words


def load_patient_page(database: Database, patient: PatientRecord, today: date) -> PatientPageData:
    from app.services.photos import list_photos
    from app.services.recall import describe_due, patient_due
    from app.services.visits import get_visit, list_visits

    visits = list_visits(database, patient.chart_number)
    due = describe_due(patient_due(database, patient.id, today)) or "nothing: no maintenance pending"
    photos = list_photos(database, patient.chart_number)
    return PatientPageData(
        visits,
        f"Next due — {due}",
        get_visit(database, visits[-1].id) if visits else None,
        photos,
        latest_asymmetry(database, patient.chart_number) if photos else [],
    )


def latest_asymmetry(database: Database, chart_number: str) -> list[str]:
    """The newest measured photo's asymmetry in words, headed by its pose and day."""
    from app.services.asymmetry import lines_of, patient_asymmetry

    measured = [m for m in patient_asymmetry(database, chart_number) if m.measurements is not None]
    if not measured:
        return []
    newest = measured[-1]
    return [f"Asymmetry, {newest.pose} photo of {newest.visit_day.isoformat()}:", *lines_of(newest)]


def find_recoveries(database: Database) -> list:
    """Charts left unsaved by a crash (the recovery files and what they need are loaded on
    the runner's thread: not on the way to the first window)."""
    from app.storage import autosave

    return autosave.find_recoveries(database)


def open_visit_of_patient(
    database: Database, chart_number: str, visit_id: int
) -> tuple[PatientRecord, OpenedVisit]:
    """A visit for the editor, with its patient (a visit chosen outside the patient page)."""
    from app.services.patients import get_patient
    from app.services.visits import open_visit

    return get_patient(database, chart_number), open_visit(database, visit_id)


def import_patient_files(database: Database, paths: list[Path]) -> tuple[ImportRun, Changes]:
    """Import the files until one is refused; what the import changed (until the service
    returns it: the imported patients, found by their chart numbers)."""
    from app.exports.interchange import import_files_until_refused

    run = import_files_until_refused(database, paths)
    charts = {result.chart_number for result in run.imported}
    ids = [
        p.id for chart in charts for p in search_patients(database, chart, True) if p.chart_number == chart
    ]
    return run, Changes.of_patients(*ids)


class MainWindow(QMainWindow):
    write_waiting = Signal()  # from any thread: a save waits for another program's write

    def __init__(
        self,
        database: Database,
        parent=None,
        tasks: TaskRunner | None = None,
        workstation_actor: str | None = None,
        idle_timer: TimerSource | None = None,
        sign_in_ticker=None,  # the sign-in dialog's countdown timer (tests)
    ):
        super().__init__(parent)
        self.database = database
        # The application's one runner; a window made on its own (a test, a script) makes one.
        self.tasks = tasks if tasks is not None else TaskRunner(self)
        self.tasks.failed.connect(self._show_failure)
        self.tasks.changed.connect(self._changed)
        self.write_waiting.connect(self._tell_write_waits)
        database.on_write_wait = self.write_waiting.emit
        self.product_colours: dict[str, str] = {}
        self.products: list = []
        self.current_patient: PatientRecord | None = None
        self.editors: list = []  # open visit editors
        self.due_window = None
        self.cosign_window = None
        self.audit_window = None
        self.lot_window = None
        self.events_window = None
        self.preview = None
        self._new_visits = 0
        self._newest: VisitRecord | None = None
        self._file_work = 0  # backups, imports, exports under way: one at a time
        self.setWindowTitle(f"Aliquot — {database.name}")
        self.resize(1400, 860)

        self.actions = create_actions(self)
        self._build_menus()
        self._build_body()
        self._connect_actions()
        # Who works here (nobody in a clinic without user accounts), the lock and the switch.
        self.session = WorkSession(
            database,
            self.tasks,
            self,
            self.unsaved_editors,
            workstation_actor,
            idle=idle_timer,
            ticker=sign_in_ticker,
        )
        self.session.user_changed.connect(self._user_changed)
        self.session.locked_changed.connect(self._locked_changed)
        self._show_user()
        self.tasks.run("catalogue", partial(list_products, database.factory, True), self._catalogue_loaded)
        self.refresh()
        # Charts left unsaved by a crash are offered once the catalogue the editor needs is in.
        self._recoveries_checked = False

    # ------------------------------------------------------------------ layout

    def _connect_actions(self) -> None:
        actions = self.actions
        actions[MainAction.FIND_PATIENT].triggered.connect(self._focus_search)
        actions[MainAction.REFRESH].triggered.connect(self.refresh)
        actions[MainAction.SHOW_ARCHIVED].toggled.connect(self.refresh)
        actions[MainAction.QUIT].triggered.connect(self.close)
        actions[MainAction.NEW_PATIENT].triggered.connect(lambda: self.edit_patient(None))
        actions[MainAction.EDIT_PATIENT].triggered.connect(lambda: self.edit_patient(self.current_patient))
        actions[MainAction.ARCHIVE_PATIENT].triggered.connect(self.toggle_archived)
        actions[MainAction.DUE_LIST].triggered.connect(self.show_due_list)
        actions[MainAction.NEW_REVIEW_VISIT].triggered.connect(
            lambda: self.new_visit(copy_previous=False, kind=VisitKind.REVIEW)
        )
        actions[MainAction.RECALL_SETTINGS].triggered.connect(self.edit_recall_settings)
        actions[MainAction.INJECTORS].triggered.connect(lambda: self.edit_injectors())
        actions[MainAction.CLINIC_DETAILS].triggered.connect(self.edit_clinic_details)
        actions[MainAction.BACKUP].triggered.connect(self.back_up)
        actions[MainAction.BACKUP].setEnabled(self.database.is_sqlite)
        if not self.database.is_sqlite:
            actions[MainAction.BACKUP].setStatusTip(
                "A PostgreSQL database is backed up on its server (pg_dump)"
            )
        actions[MainAction.IMPORT].triggered.connect(self.import_patient_files)
        actions[MainAction.EXPORT_PATIENT].triggered.connect(self.export_patient_file)
        actions[MainAction.SWITCH_USER].triggered.connect(self.switch_user)
        actions[MainAction.LOCK].triggered.connect(lambda: self.session.lock())
        actions[MainAction.COSIGN_LIST].triggered.connect(self.show_cosign_list)
        actions[MainAction.AUDIT].triggered.connect(self.show_audit)
        actions[MainAction.LOT_RECALL].triggered.connect(self.show_lot_recall)
        actions[MainAction.STOCK].triggered.connect(self.show_stock)
        actions[MainAction.ADVERSE_EVENTS].triggered.connect(lambda: self.show_adverse_events())

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.actions[MainAction.INJECTORS])
        file_menu.addAction(self.actions[MainAction.CLINIC_DETAILS])
        file_menu.addSeparator()
        file_menu.addAction(self.actions[MainAction.IMPORT])
        file_menu.addAction(self.actions[MainAction.BACKUP])
        file_menu.addSeparator()
        file_menu.addAction(self.actions[MainAction.SWITCH_USER])
        file_menu.addAction(self.actions[MainAction.LOCK])
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
        safety_menu = self.menuBar().addMenu("Sa&fety")
        safety_menu.addAction(self.actions[MainAction.STOCK])
        safety_menu.addAction(self.actions[MainAction.LOT_RECALL])
        safety_menu.addAction(self.actions[MainAction.ADVERSE_EVENTS])
        signing_menu = self.menuBar().addMenu("&Signing")
        signing_menu.addAction(self.actions[MainAction.COSIGN_LIST])
        signing_menu.addAction(self.actions[MainAction.AUDIT])
        view_menu = self.menuBar().addMenu("&View")
        for entry in (MainAction.FIND_PATIENT, MainAction.REFRESH, MainAction.SHOW_ARCHIVED):
            view_menu.addAction(self.actions[entry])

    def _build_body(self) -> None:
        self.patient_list = PatientList(self.actions[MainAction.NEW_PATIENT].trigger)
        self.patient_list.search_wanted.connect(self.refresh)
        self.patient_list.chosen.connect(self._patient_chosen)
        from app.services.photos import thumbnails

        page = self.patient_page = PatientPage(
            self.database.timezone,
            lambda name: self.product_colours.get(name),
            photo_strip=PhotoStrip(self.tasks, partial(thumbnails, self.database)),
        )
        page.visit_chosen.connect(self._visit_chosen)
        page.open_wanted.connect(self.open_chosen_visit)
        page.new_visit_button.clicked.connect(lambda: self.new_visit(copy_previous=False))
        page.copy_visit_button.clicked.connect(lambda: self.new_visit(copy_previous=True))
        page.review_visit_button.setToolTip(
            self.actions[MainAction.NEW_REVIEW_VISIT].toolTip() + " (Ctrl+Shift+R)"
        )
        page.review_visit_button.clicked.connect(self.actions[MainAction.NEW_REVIEW_VISIT].trigger)
        page.history_button.clicked.connect(self.show_history)
        page.compare_photos_button.clicked.connect(self.show_compare)
        page.events_button.clicked.connect(
            lambda: self.show_adverse_events(
                self.current_patient.chart_number if self.current_patient else None
            )
        )
        # The halves' parts, by the names the rest of the window (and its tests) use.
        self.search = self.patient_list.search
        self.search_timer = self.patient_list.search_timer
        self.patient_model = self.patient_list.model
        self.patient_table = self.patient_list.table
        self.patient_count = self.patient_list.count
        self.patient_header = page.header
        self.next_due = page.next_due
        self.visit_model, self.visit_table = page.visit_model, page.visit_table
        self.point_model, self.point_table = page.point_model, page.point_table
        self.side_model, self.side_table = page.side_model, page.side_table
        self.new_visit_button, self.open_visit_button = page.new_visit_button, page.open_visit_button
        self.copy_visit_button, self.review_visit_button = page.copy_visit_button, page.review_visit_button
        self.history_button = page.history_button

        splitter = QSplitter()
        splitter.addWidget(self.patient_list)
        splitter.addWidget(page)
        splitter.setSizes([480, 920])
        self.setCentralWidget(splitter)
        self.statusBar().showMessage(f"Database: {self.database.name}")
        self.user_label = QLabel()
        self.user_label.setAccessibleName("Signed-in user")
        self.statusBar().addPermanentWidget(self.user_label)

    # ------------------------------------------------------------------ behaviour

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def refresh(self) -> None:
        """Ask for the patient list again (the search changed): the first patient is chosen."""
        self._load_patients(keep=None)

    def _load_patients(self, keep: int | None) -> None:
        """`keep`: the patient to stay on if still listed."""
        text = self.search.text()
        archived = self.actions[MainAction.SHOW_ARCHIVED].isChecked()
        self.tasks.run(
            "patients",
            partial(find_patients, self.database, text, archived),
            partial(self._patients_loaded, keep),
        )

    def _changed(self, changes: Changes) -> None:
        """Redraw what the change concerns: the one place the window learns of a change."""
        if changes.patients:
            current = self.current_patient
            self._load_patients(keep=current.id if current is not None else None)
        if changes.catalogue or changes.recall_rules:
            self.tasks.run(
                "catalogue", partial(list_products, self.database.factory, True), self._catalogue_loaded
            )
        # The due list redraws from the same signal (ui/due_window.py).

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
        from app.storage.autosave import discard_recovery

        for recovered, patient, opened in found:
            when = recovered.saved_at.strftime("%Y-%m-%d %H:%M")
            description = (
                f"{LRM}{full_name(patient)} ({patient.chart_number}):"
                f" {len(recovered.points)} points, last changed {when}"
            )
            if self.ask_recover(self, description):
                editor = self._open_editor(patient, opened)
                editor.restore(recovered)
            else:
                self.tasks.run(
                    f"discard-recovery-{recovered.visit_id}",
                    partial(discard_recovery, self.database, recovered.visit_id),
                    lambda _none: None,
                )

    def _patients_loaded(self, keep: int | None, found: tuple[list[PatientRecord], bool]) -> None:
        patients, empty_clinic = found
        self.patient_list.show_patients(patients, keep)
        if not patients:
            self._show_patient(None, empty_clinic)

    def _patient_chosen(self, patient: PatientRecord) -> None:
        self._show_patient(patient)
        self._load_patient(patient)

    def _load_patient(self, patient: PatientRecord) -> None:
        """The patient's visits, what is next due and the newest visit's sites, asked for together."""
        today = datetime.now(self.database.timezone).date()
        self.tasks.run(
            "patient-page",
            partial(load_patient_page, self.database, patient, today),
            self._patient_page_loaded,
        )

    def _patient_page_loaded(self, page: PatientPageData) -> None:
        self.next_due.setText(page.next_due)
        self._newest = page.newest  # shown as the newest visit is chosen, not asked for again
        self.patient_page.show_visits(page.visits)
        self.patient_page.show_photos(page.photos, page.visits)
        self.patient_page.show_asymmetry(page.asymmetry)

    def _show_patient(self, patient: PatientRecord | None, empty_clinic: bool = False) -> None:
        self.current_patient = patient
        self.patient_page.show_patient(patient, empty_clinic)
        self.actions[MainAction.NEW_REVIEW_VISIT].setEnabled(
            patient is not None and self.may(Permission.CHART)
        )
        self.actions[MainAction.EXPORT_PATIENT].setEnabled(patient is not None and not self._file_work)

    def _visit_chosen(self, visit: VisitSummary) -> None:
        newest, self._newest = self._newest, None
        if newest is not None and newest.id == visit.id:
            self.tasks.run(
                "visit", lambda: newest, self.patient_page.show_visit
            )  # the older answer is dropped
            return
        from app.services.visits import get_visit

        self.tasks.run("visit", partial(get_visit, self.database, visit.id), self.patient_page.show_visit)

    # ------------------------------------------------------------------ who works here

    @property
    def user(self) -> SignedInUser | None:
        return self.session.user

    def may(self, permission: Permission) -> bool:
        """Whether the signed-in user's role allows this (anyone may, while the clinic has
        no user accounts; the services refuse what is not allowed all the same)."""
        user = self.session.user
        return user is None or user.may(permission)

    def _show_user(self) -> None:
        user = self.session.user
        self.user_label.setText(f"Signed in: {user.shown}" if user else "")
        self.user_label.setVisible(user is not None)
        signed_in = user is not None
        for entry in (MainAction.SWITCH_USER, MainAction.LOCK):
            self.actions[entry].setEnabled(signed_in)
        may_chart = self.may(Permission.CHART)
        self.patient_page.set_charting_allowed(may_chart)
        self.actions[MainAction.NEW_REVIEW_VISIT].setEnabled(may_chart and self.current_patient is not None)
        for entry in (MainAction.NEW_PATIENT, MainAction.EDIT_PATIENT, MainAction.ARCHIVE_PATIENT):
            self.actions[entry].setEnabled(self.may(Permission.PATIENTS))
        for entry in (MainAction.RECALL_SETTINGS, MainAction.INJECTORS, MainAction.CLINIC_DETAILS):
            self.actions[entry].setEnabled(self.may(Permission.SETTINGS))
        self.actions[MainAction.IMPORT].setEnabled(self.may(Permission.IMPORT) and not self._file_work)
        self.actions[MainAction.COSIGN_LIST].setEnabled(signed_in and self.may(Permission.COSIGN))
        self.actions[MainAction.AUDIT].setEnabled(self.may(Permission.AUDIT))
        if self.events_window is not None:
            self.events_window.set_charting_allowed(may_chart)

    def unsaved_editors(self) -> list:
        """The open visit editors holding unsaved changes (the signed-in user's work)."""
        return [editor for editor in self.editors if editor.is_modified()]

    def switch_user(self) -> None:
        refusal = self.session.switch_user()
        if refusal:
            self.statusBar().showMessage(refusal, 15000)

    def _locked_changed(self, locked: bool) -> None:
        if not locked:
            self._show_user()

    def _user_changed(self, _user: SignedInUser | None) -> None:
        """Someone else works here now: what the last user had open closes (none of it
        holds unsaved changes: the lock lets only its user in while it does)."""
        for editor in list(self.editors):
            editor.close()
        for name in ("cosign_window", "audit_window"):
            window = getattr(self, name)
            if window is not None:
                window.close()
                setattr(self, name, None)
        self._show_user()
        self.refresh()

    # ------------------------------------------------------------------ patients

    def edit_patient(self, patient: PatientRecord | None) -> None:
        if patient is None:  # a new patient: the form opens with the next free chart number
            self.tasks.run(
                "suggest-chart",
                partial(suggest_chart_number, self.database),
                partial(self._edit_patient, None),
            )
        else:
            self._edit_patient(patient, "")

    def _edit_patient(self, patient: PatientRecord | None, suggested: str) -> None:
        from ui.patient_dialog import PatientDialog

        saved = PatientDialog.ask(self.database, patient, suggested, self)
        if saved is not None:
            for editor in self.editors:  # an open visit shows the allergies and alerts as edited
                editor.set_patient(saved)
            self.search.blockSignals(True)  # the list is asked for once, from the change below
            self.search.setText(saved.chart_number)
            self.search.blockSignals(False)
            self.current_patient = saved
            self.tasks.announce(saved.changes)

    def toggle_archived(self) -> None:
        patient = self.current_patient
        if patient is not None:
            self.tasks.run(
                "archive",
                partial(set_archived, self.database, patient.id, not patient.archived),
                lambda saved: self.tasks.announce(saved.changes),
            )

    def show_compare(self) -> QWidget | None:
        """The chosen patient's photos of a pose at two visits (ui/photo_compare.py)."""
        from ui.photo_compare import open_compare

        patient = self.current_patient
        if patient is None:
            return None
        return open_compare(self, self.database, self.tasks, patient.chart_number)

    def show_history(self) -> None:
        from app.exports.records import history_pdf
        from ui.record_preview import RecordPreview

        patient = self.current_patient
        if patient is None:
            return
        self.preview = RecordPreview(
            f"History of {full_name(patient)}",
            suggested_file_name(patient.chart_number, "history", suffix=".pdf"),
            partial(history_pdf, self.database, patient.chart_number),
            self,
            tasks=self.tasks,
        )
        self.preview.setWindowFlag(Qt.WindowType.Window)
        self.preview.show()

    # ------------------------------------------------------------------ recall

    def show_due_list(self) -> None:
        if self.due_window is None:
            self.tasks.run(
                "due-providers",
                partial(list_providers, self.database, include_inactive=True),
                self._open_due_list,
            )
        else:
            self.due_window.refresh()
            self._raise_due_list()

    def _open_due_list(self, providers: list) -> None:
        from ui.due_window import DueWindow

        if self.due_window is None:
            self.due_window = DueWindow(self.database, providers, self, tasks=self.tasks)
            self.due_window.setWindowFlag(Qt.WindowType.Window)
            self.due_window.patient_wanted.connect(self._show_chart)
        self._raise_due_list()

    def _raise_due_list(self) -> None:
        self.due_window.show()
        self.due_window.raise_()

    def _show_chart(self, chart_number: str) -> None:
        self.search.setText(chart_number)
        self.refresh()
        self.raise_()
        self.activateWindow()

    # ------------------------------------------------------------------ signing

    def show_cosign_list(self) -> None:
        from ui.cosign_window import CosignWindow

        if self.cosign_window is None:
            self.cosign_window = CosignWindow(self.database, self, tasks=self.tasks)
            self.cosign_window.setWindowFlag(Qt.WindowType.Window)
            self.cosign_window.visit_wanted.connect(self.open_visit_of)
        else:
            self.cosign_window.refresh()
        self._bring_up(self.cosign_window)

    def show_audit(self) -> None:
        from ui.audit_window import AuditWindow

        if self.audit_window is None:
            self.audit_window = AuditWindow(self.database, self, tasks=self.tasks)
            self.audit_window.setWindowFlag(Qt.WindowType.Window)
        self._bring_up(self.audit_window)

    stock_window: QWidget | None = None

    def show_stock(self) -> None:
        from ui.stock_window import StockWindow

        if self.stock_window is None:
            window = StockWindow(
                self.database,
                self.products,
                self,
                tasks=self.tasks,
                may_receive=self.may(Permission.STOCK),
                may_open=self.may(Permission.CHART),
            )
            window.setWindowFlag(Qt.WindowType.Window)
            self.stock_window = window
        self._bring_up(self.stock_window)

    def show_lot_recall(self) -> None:
        from ui.lot_search import LotSearchWindow

        names = [p.name for p in self.products]
        if self.lot_window is None:
            self.lot_window = LotSearchWindow(self.database, names, self, tasks=self.tasks)
            self.lot_window.setWindowFlag(Qt.WindowType.Window)
        else:
            self.lot_window.set_products(names)
        self._bring_up(self.lot_window)

    def show_adverse_events(self, chart_number: str | None = None) -> None:
        from ui.adverse_events_window import AdverseEventsWindow

        if self.events_window is None:
            self.events_window = AdverseEventsWindow(
                self.database,
                self,
                tasks=self.tasks,
                may_chart=self.may(Permission.CHART),
                chart_number=chart_number,
            )
            self.events_window.setWindowFlag(Qt.WindowType.Window)
        else:
            if chart_number:
                self.events_window.chart.setText(chart_number)
                self.events_window.load_visits()
            self.events_window.refresh()
        self._bring_up(self.events_window)

    @staticmethod
    def _bring_up(window) -> None:
        """Show a window, or bring it to the front when it is already open."""
        if window.isVisible():
            window.raise_()
            window.activateWindow()
        else:
            window.show()

    def open_visit_of(self, chart_number: str, visit_id: int) -> None:
        """Open a visit named by another window (the co-sign list) in its editor."""
        for editor in self.editors:
            if editor.visit.id == visit_id:
                editor.raise_()
                editor.activateWindow()
                return
        self.tasks.run(
            f"open-visit-{visit_id}",
            partial(open_visit_of_patient, self.database, chart_number, visit_id),
            lambda found: self._open_editor(*found),
        )

    # ------------------------------------------------------------------ recall

    def edit_recall_settings(self) -> None:
        from ui.recall_settings import RecallSettingsDialog

        if RecallSettingsDialog.ask(self.database, self.products, self):
            self.tasks.announce(Changes(recall_rules=True, catalogue=True))

    # ------------------------------------------------------------------ visits

    def open_chosen_visit(self) -> None:
        visit = self.patient_page.chosen_visit()
        if self.current_patient is None or visit is None:
            return
        for editor in self.editors:  # one editor per visit: bring it to the front
            if editor.visit.id == visit.id:
                editor.raise_()
                editor.activateWindow()
                return
        from app.services.visits import open_visit

        self.tasks.run(
            f"open-visit-{visit.id}",
            partial(open_visit, self.database, visit.id),
            partial(self._open_editor, self.current_patient),
        )

    def edit_injectors(self, first_run: bool = False) -> bool:
        from ui.injectors_dialog import InjectorsDialog

        changed = InjectorsDialog.ask(self.database, self, first_run)
        if changed:
            self.tasks.announce(Changes(providers=True))
        return changed

    def edit_clinic_details(self) -> None:
        from ui.clinic_dialog import ClinicDialog

        if ClinicDialog.ask(self.database, self):
            self.statusBar().showMessage("Clinic details saved: printed records use them from now on.", 8000)

    # ------------------------------------------------------------------ files

    def _run_file_work(self, channel: str, work, done) -> None:
        """Backups, imports and exports: one at a time (a second import must not hide the
        first one's report); a refusal is told plainly, not as a loading problem."""
        self._file_work_busy(True)
        self.tasks.run(
            channel,
            work,
            done,
            refused=lambda message: self.tell(self, "Not done", message),
            ended=lambda: self._file_work_busy(False),
        )

    def back_up(self) -> None:
        from app.storage.database import backup_sqlite
        from app.storage.files import backup_path

        source = Path(self.database.url.database or "aliquot.db")
        suggested = backup_path(source)
        path = self.ask_backup_path(self, str(suggested))
        if not path:
            return
        self.statusBar().showMessage("Backing up the database…")
        self._run_file_work(
            "backup",
            partial(backup_sqlite, self.database, Path(path)),
            lambda written: self.statusBar().showMessage(
                f"Backed up to {written} and read back whole.", 15000
            ),
        )

    def _file_work_busy(self, busy: bool) -> None:
        self._file_work = busy
        self.actions[MainAction.IMPORT].setEnabled(not busy and self.may(Permission.IMPORT))
        self.actions[MainAction.BACKUP].setEnabled(not busy and self.database.is_sqlite)
        self.actions[MainAction.EXPORT_PATIENT].setEnabled(not busy and self.current_patient is not None)

    def import_patient_files(self) -> None:
        paths = self.ask_import_paths(self)
        if not paths:
            return
        self.statusBar().showMessage(f"Importing {len(paths)} file{'s' if len(paths) > 1 else ''}…")
        self._run_file_work(
            "import", partial(import_patient_files, self.database, [Path(p) for p in paths]), self._imported
        )

    def _imported(self, imported: tuple[ImportRun, Changes]) -> None:
        run, changes = imported
        self.statusBar().showMessage(f"Imported {len(run.imported)} patient file(s).", 10000)
        self.tasks.announce(changes)
        self.tell(
            self,
            "Import stopped" if run.refused else "Import done",
            run.describe(),
            warning=bool(run.refused),
        )

    def export_patient_file(self) -> None:
        from app.exports.interchange import export_patient_file

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
            self._run_file_work(
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

    # ------------------------------------------------------------------ visits

    def new_visit(self, copy_previous: bool, kind: VisitKind = VisitKind.TREATMENT) -> None:
        """A new visit in the editor; a review visit is recorded at once (seen again)."""
        patient = self.current_patient
        if patient is None:
            return
        if not self.may(Permission.CHART):
            self.statusBar().showMessage("Your role cannot chart visits: sign in as an injector.", 10000)
            return
        # A new clinic's first visit: register who injects first (a one-row query).
        self.tasks.run(
            "injectors",
            partial(list_providers, self.database),
            partial(self._start_visit, patient, copy_previous, kind, True),
        )

    def _start_visit(
        self, patient: PatientRecord, copy_previous: bool, kind: VisitKind, may_ask: bool, providers: list
    ) -> None:
        if not providers:
            if may_ask and self.edit_injectors(first_run=True):
                self.tasks.run(
                    "injectors",
                    partial(list_providers, self.database),
                    partial(self._start_visit, patient, copy_previous, kind, False),
                )
            else:
                self.statusBar().showMessage(
                    "A visit needs an injector: register one in File > Injectors.", 10000
                )
            return
        from app.services.visits import start_visit

        # Each new visit has its own channel: its result (a row already made) is never dropped.
        self._new_visits += 1
        self.tasks.run(
            f"new-visit-{self._new_visits}",
            partial(start_visit, self.database, patient.id, copy_previous, kind=kind),
            partial(self._open_editor, patient),
        )

    def _open_editor(self, patient: PatientRecord, opened: OpenedVisit):
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
            tasks=self.tasks,  # its saves are announced to every window by the runner
        )
        if opened.copied_points:
            editor.copy_points(opened.copied_points)
        editor.addAction(self.actions[MainAction.LOCK])  # Ctrl+Shift+L locks from the editor too
        editor.editor_wanted.connect(partial(self._open_editor, patient))
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.destroyed.connect(lambda: self.editors.remove(editor) if editor in self.editors else None)
        self.editors.append(editor)
        editor.show()
        self.tasks.announce(opened.changes)  # a new visit: the patient's list of visits shows it
        return editor

    def _show_failure(self, message: str) -> None:
        self.statusBar().showMessage(f"Not done: {message}", 15000)

    def _tell_write_waits(self) -> None:
        self.statusBar().showMessage("Waiting for another program writing to the database…", 30_000)
        self.statusBar().repaint()  # shown even while a save on this thread waits

    def closeEvent(self, event) -> None:
        self.tasks.wait()  # an import, export or backup under way finishes first
        super().closeEvent(event)
