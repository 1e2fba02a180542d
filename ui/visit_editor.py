"""The visit editor: the face map in the centre, the pen and templates on the left, the
inspector and live totals on the right, the visit's fields above. Every chart edit is an
undo command that changes only the chart document; the scenes, the inspector, the totals
and the visit-fields form redraw from it.

Split by concern: the actions are declared in ui/editor_actions.py, the templates in
ui/templates_menu.py, the visit's fields in ui/visit_fields.py, and saving, the autosave
and recovery in ui/visit_saving.py. This window puts them together and turns clicks
into commands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import partial
from html import escape
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QUndoStack
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QTabBar,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.exports.records import visit_record_pdf
from app.services.guardrails import SafetyContext, safety_context
from app.services.lots import usable_lots
from app.services.visits import StartingPen, local_date
from app.storage.autosave import RecoveredChart
from app.storage.database import Database
from app.storage.files import suggested_file_name
from models.accounts import ROLE_WORDS, Permission
from models.amounts import format_dose
from models.chart import ChartDocument, Pen, VisitFields, mirrored
from models.errors import AliquotError
from models.guardrails import SafetyWarning
from models.guardrails import bundled as bundled_guardrails
from models.records import ChartedPoint, PatientRecord, ProductRecord, VisitRecord
from models.templates import ClinicTemplate, Template
from models.totals import balance_per_product
from models.vocabulary import Role, View, VisitStatus
from ui.commands import AddPoints, ChangePoints, RemovePoints, SetVisitFields
from ui.editor_actions import EditorAction, EditorState, create_editor_actions, update_enabled
from ui.face_scene import FaceScene
from ui.face_view import FaceView
from ui.inspector import Inspector
from ui.names import full_name, full_name_html, left_to_right
from ui.pen_panel import PenPanel
from ui.photo_strip import dropped_paths
from ui.tasks import TaskRunner
from ui.templates_menu import TemplatesMenu
from ui.totals_panel import TotalsPanel
from ui.visit_fields import VisitFieldsForm
from ui.visit_photos import VisitPhotos
from ui.visit_saving import AUTOSAVE_DELAY_MS, Timer, TimerSource, VisitSaving
from ui.visit_signing import (
    MISSING_STYLE,
    SIGNED_STYLE,
    TRAIL_STYLE,
    VisitSigning,
    amendment_heading,
    signature_text,
)
from ui.workstation_settings import WorkstationSettings

__all__ = ["AUTOSAVE_DELAY_MS", "VisitEditor", "alert_banner_text"]

VIEWS = [View.FRONT, View.LEFT, View.RIGHT]
VIEW_TITLES = {View.FRONT: "Front", View.LEFT: "Left profile", View.RIGHT: "Right profile"}
ALERT_STYLE = "QLabel {background: #fdecea; color: #5f0010; border: 2px solid #b00020; padding: 4px 8px}"
NO_ALERT_STYLE = "QLabel {background: #f3f6f3; color: #333; border: 1px solid #9aa89a; padding: 4px 8px}"


def _banner_value(text: str) -> str:
    """Free text for one line of the banner: escaped, its lines joined by "; ", each line
    isolated in its own direction (U+2068…U+2069) as the patient form shows it: an Arabic
    or Hebrew allergy reads right to left without reordering its English neighbours."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "; ".join(f"\u2068{escape(line)}\u2069" for line in lines)


def alert_banner_text(patient: PatientRecord) -> tuple[str, bool]:
    """The banner's rich text, and whether anything is recorded. An empty field says
    "none recorded": nothing recorded is not the same as known to have none."""
    allergies, alerts = _banner_value(patient.allergies), _banner_value(patient.alerts)
    text = (
        f"<b>Allergies:</b> {allergies or 'none recorded'}"
        f" &nbsp;&nbsp;│&nbsp;&nbsp; <b>Alerts:</b> {alerts or 'none recorded'}"
    )
    return text, bool(allergies or alerts)


class VisitEditor(QMainWindow):
    saved = Signal(object)  # VisitRecord
    editor_wanted = Signal(object)  # OpenedVisit: another visit to open (an amendment)

    def __init__(
        self,
        database: Database,
        patient: PatientRecord,
        visit: VisitRecord,
        products: list[ProductRecord],
        providers: list[Any],
        previous: VisitRecord | None = None,
        clinic_templates: list[ClinicTemplate] | None = None,
        created: bool = False,
        parent: QWidget | None = None,
        starting_pen: StartingPen | None = None,
        tasks: TaskRunner | None = None,
        autosave_timer: TimerSource | None = None,
        workstation_settings: WorkstationSettings | None = None,
        photo_poll_timer: Timer | None = None,
    ):
        super().__init__(parent)
        self.database = database
        self.patient = patient
        self.visit = visit
        self.products = {p.name: p for p in products}
        # The application's runner when given (shared by the windows), else the editor's own;
        # its channels are this editor's, so two editors never drop each other's answers.
        if tasks is None:  # a runner of its own: its failures are this editor's to show
            tasks = TaskRunner(self)
            tasks.failed.connect(lambda message: self.statusBar().showMessage(message, 20000))
        self.tasks = tasks
        self._channel = f"editor-{id(self)}-"
        self.document = ChartDocument(
            visit.points,
            VisitFields(
                provider_id=visit.provider_id,
                started_at=visit.started_at,
                concern=visit.concern,
                notes=visit.notes,
                consent_recorded=visit.consent_recorded,
            ),
        )
        self.undo_stack = QUndoStack(self)
        self.pen: Pen | None = None
        self.locked = visit.status is VisitStatus.SIGNED or self.charting_refusal() is not None
        # A visit made by "New visit" for this editor and not saved yet: closing it
        # without saving removes it again.
        self.created_unsaved = created

        colours = {p.name: p.colour for p in products}
        self.scenes = {view: FaceScene(self.document, view, colours, self) for view in VIEWS}
        for scene in self.scenes.values():
            scene.place_requested.connect(self.place_point)
            scene.points_moved.connect(self.move_points)
            scene.selectionChanged.connect(self._scene_selection_changed)
            scene.region_hovered.connect(self._show_region)
            scene.set_ghosts(previous.points if previous else [])
        self.face_view = FaceView(self.scenes[View.FRONT])
        self.view_tabs = QTabBar()
        for view in VIEWS:
            self.view_tabs.addTab(VIEW_TITLES[view])
        self.view_tabs.currentChanged.connect(lambda index: self.show_view(VIEWS[index]))

        self.pen_panel = PenPanel(products)
        self.pen_panel.pen_changed.connect(self._pen_changed)
        self.pen_panel.lots_wanted.connect(partial(self._load_lots, self.pen_panel))
        self.inspector = Inspector()
        self._inspected_uids: list[int] = []  # the points the inspector shows and edits
        self.inspector.edit_requested.connect(self.edit_selected)
        self.inspector.lots_wanted.connect(partial(self._load_lots, self.inspector))
        if not self.locked:  # the vials and syringes open at the visit: a dose's volume, what is left
            self.load_packages()
            from app.services.stock import barcode_products

            self.run_task("barcodes", partial(barcode_products, self.database), self._barcodes_loaded)
        self.totals = TotalsPanel(self.products)
        # Safety checks run on every change, in memory: at once against the rules as shipped
        # and the allergies, then against the clinic's rules and the patient's earlier visits
        # once they are read. They mark points and totals; only saving asks anything.
        self.safety = SafetyContext(
            (), {p.name: p.kind for p in products}, patient.allergies, bundled_guardrails()
        )
        self.safety_warnings: list[SafetyWarning] = []
        self.fields_form = VisitFieldsForm(self.document, providers, database.timezone)
        self.fields_form.edited.connect(self._fields_edited)
        form = self.fields_form
        self.provider, self.started, self.consent = form.provider, form.started, form.consent
        self.concern, self.notes = form.concern, form.notes
        self.saving = VisitSaving(self, autosave_timer)
        self.signing = VisitSigning(self)
        self.templates_menu = TemplatesMenu(self, list(clinic_templates or []), self._acting)
        self.photos = VisitPhotos(self, workstation_settings, photo_poll_timer)
        self._build_actions()
        self._build_layout(previous)

        self.document.subscribe(lambda *_: self._chart_changed())
        self.document.subscribe_fields(self._document_fields_changed)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        first_toxin = next(
            (p.name for p in products if p.kind == "neuromodulator"), products[0].name if products else None
        )
        if starting_pen is not None and starting_pen.product_name in self.products:
            # the toxin (and lot) the patient last had, as the service chose it
            self.pen_panel.choose_product(starting_pen.product_name, starting_pen.lot_number)
        elif first_toxin is not None:
            self.pen_panel.choose_product(first_toxin)
        self._chart_changed()
        self.set_locked(self.locked)
        self.run_task("safety", partial(safety_context, database, patient.id, visit.id), self._safety_loaded)
        self.signing.load_trail()
        self.photos.start()
        self.setAcceptDrops(True)  # photo files dropped anywhere on the editor are added
        self.resize(1500, 950)

    # ------------------------------------------------------------------ building

    def _acting(self, slot: Callable[[], None]) -> Callable[[bool], None]:
        """An action's slot, run after what was typed in the inspector went to its points:
        a shortcut or a toolbar button acts while the field still has focus (mirror must
        copy the typed dose)."""

        def run(_checked: bool = False) -> None:
            self.commit_inspector()
            slot()

        return run

    def _toggling(self, slot: Callable[[bool], None]) -> Callable[[bool], None]:
        def run(on: bool = False) -> None:
            self.commit_inspector()
            slot(on)

        return run

    def _build_actions(self) -> None:
        view = self.view_tabs.setCurrentIndex
        slots: dict[EditorAction, Callable[[bool], None]] = {
            EditorAction.UNDO: self._acting(self.undo_stack.undo),
            EditorAction.REDO: self._acting(self.undo_stack.redo),
            EditorAction.SAVE: self._acting(self.save),
            EditorAction.SIGN: self._acting(self.sign),
            EditorAction.AMEND: self._acting(self.amend),
            EditorAction.DELETE: self._acting(self.delete_selected),
            EditorAction.MIRROR: self._acting(self.mirror_selected),
            EditorAction.SELECT_ALL: self._acting(self.select_all),
            EditorAction.ZOOM_IN: self._acting(lambda: self.face_view.zoom_in()),
            EditorAction.ZOOM_OUT: self._acting(lambda: self.face_view.zoom_out()),
            EditorAction.PEN_PRODUCT: self._acting(lambda: self.pen_panel.product.setFocus()),
            EditorAction.RECORD: self._acting(self.show_record),
            EditorAction.PEN_LOT: self._acting(lambda: self.pen_panel.lot.setFocus()),
            EditorAction.ZOOM_FIT: self._acting(lambda: self.face_view.reset_zoom()),
            EditorAction.GHOSTS: self._toggling(self._toggle_ghosts),
            EditorAction.OUTLINES: self._toggling(self._toggle_outlines),
            EditorAction.MUSCLES: self._toggling(self._toggle_muscles),
            EditorAction.VIEW_FRONT: self._acting(partial(view, 0)),
            EditorAction.VIEW_LEFT: self._acting(partial(view, 1)),
            EditorAction.VIEW_RIGHT: self._acting(partial(view, 2)),
            EditorAction.ADD_PHOTOS: self._acting(self.photos.choose_files),
            EditorAction.WATCH_PHOTOS: self._acting(self.photos.choose_folder),
            EditorAction.PREVIOUS_PHOTO: self._acting(self.photos.toggle_previous),
        }
        self.actions = create_editor_actions(self, slots)
        self.undo_action = self.actions[EditorAction.UNDO]
        self.redo_action = self.actions[EditorAction.REDO]
        self.save_action = self.actions[EditorAction.SAVE]
        self.sign_action = self.actions[EditorAction.SIGN]
        self.amend_action = self.actions[EditorAction.AMEND]
        self.delete_action = self.actions[EditorAction.DELETE]
        self.mirror_action = self.actions[EditorAction.MIRROR]
        self.select_all_action = self.actions[EditorAction.SELECT_ALL]
        self.zoom_in_action = self.actions[EditorAction.ZOOM_IN]
        self.zoom_out_action = self.actions[EditorAction.ZOOM_OUT]
        self.zoom_fit_action = self.actions[EditorAction.ZOOM_FIT]
        self.record_action = self.actions[EditorAction.RECORD]
        self.ghost_action = self.actions[EditorAction.GHOSTS]
        self.outline_action = self.actions[EditorAction.OUTLINES]
        self.muscle_action = self.actions[EditorAction.MUSCLES]
        self.add_photos_action = self.actions[EditorAction.ADD_PHOTOS]
        self.watch_photos_action = self.actions[EditorAction.WATCH_PHOTOS]
        self.previous_photo_action = self.actions[EditorAction.PREVIOUS_PHOTO]
        self.photos.add_button.clicked.connect(self.add_photos_action.trigger)
        self.undo_stack.canUndoChanged.connect(self.undo_action.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_action.setEnabled)
        self.undo_stack.undoTextChanged.connect(lambda text: self.undo_action.setToolTip(f"Undo {text}"))
        self.undo_stack.redoTextChanged.connect(lambda text: self.redo_action.setToolTip(f"Redo {text}"))
        toolbar = QToolBar("Chart")
        toolbar.setMovable(False)
        for action in (
            self.save_action,
            self.undo_action,
            self.redo_action,
            self.delete_action,
            self.mirror_action,
        ):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.sign_action)
        toolbar.addAction(self.amend_action)
        toolbar.addSeparator()
        toolbar.addWidget(QLabel(" Templates: "))
        for action in self.template_actions.values():
            toolbar.addAction(action)
        toolbar.addWidget(self.templates_menu.clinic_button())
        toolbar.addSeparator()
        toolbar.addAction(self.record_action)
        for action in (self.ghost_action, self.outline_action, self.muscle_action, self.zoom_fit_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        photos_menu = QMenu("Photos", self)
        for action in (self.add_photos_action, self.watch_photos_action, self.previous_photo_action):
            photos_menu.addAction(action)
        self.photos_button = QToolButton()
        self.photos_button.setText("Photos")
        self.photos_button.setMenu(photos_menu)
        self.photos_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        toolbar.addWidget(self.photos_button)
        self.addToolBar(toolbar)

    def _build_layout(self, previous: VisitRecord | None) -> None:
        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        # The name, allergies and alerts, always in sight while charting (the patient page is covered).
        self.alert_banner = QLabel()
        self.alert_banner.setObjectName("alertBanner")
        self.alert_banner.setTextFormat(Qt.TextFormat.RichText)
        self.alert_banner.setWordWrap(True)
        self.alert_banner.setAccessibleName("Allergies and alerts")
        self._show_patient()
        self.region_label = QLabel(" ")
        self.ghost_label = QLabel(
            f"Faint markers: previous visit of {previous.started_at.astimezone(self.database.timezone):%Y-%m-%d}"
            if previous
            else "No previous visit"
        )
        self.ghost_label.setStyleSheet("color: #666")
        self.next_due_label = QLabel()
        self.next_due_label.setWordWrap(True)
        self.next_due_label.setStyleSheet("color: #1b5e20")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.pen_panel)
        hint = QLabel(
            "Click the face to place a point with the pen. Drag to move, Delete to remove,"
            " drag on empty space to select several."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #555")
        left_layout.addWidget(hint)
        left_layout.addStretch(1)

        centre = QWidget()
        centre_layout = QVBoxLayout(centre)
        centre_layout.addWidget(self.view_tabs)
        # The photo beside the face map, at the pose being charted (hidden until one is chosen).
        self.face_and_photo = QSplitter()
        self.face_and_photo.addWidget(self.face_view)
        self.face_and_photo.addWidget(self.photos.viewer)
        self.face_and_photo.setChildrenCollapsible(False)
        self.photos.viewer.closed.connect(self.face_view.fit)
        centre_layout.addWidget(self.face_and_photo, 1)
        # The legend doubles as the left/right balance, always in sight while charting.
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        centre_layout.addWidget(self.legend)
        status_row = QHBoxLayout()
        status_row.addWidget(self.region_label, 1)
        status_row.addWidget(self.ghost_label)
        centre_layout.addLayout(status_row)
        centre_layout.addWidget(self.next_due_label)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(self.inspector)
        right_layout.addWidget(QLabel("<b>Totals</b>"))
        right_layout.addWidget(self.totals, 1)
        # The visit's photos at the side: the face map keeps its height.
        right_layout.addWidget(self.photos.panel)

        splitter = QSplitter()
        for widget in (left, centre, right):
            splitter.addWidget(widget)
        splitter.setSizes([300, 700, 480])
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.header)
        layout.addWidget(self.alert_banner)
        self.locked_banner = QLabel(
            "This visit is signed and locked: it can be viewed and printed, not changed."
        )
        self.locked_banner.setStyleSheet(
            "background: #fff3cd; color: #6b4e00; padding: 4px; font-weight: 600"
        )
        layout.addWidget(self.locked_banner)
        # The seal of a signed visit, its amendment trail, and what keeps a draft from signing.
        self.signature_label = QLabel()
        self.signature_label.setTextFormat(Qt.TextFormat.RichText)
        self.signature_label.setStyleSheet(SIGNED_STYLE)
        self.signature_label.setAccessibleName("Signature")
        self.signature_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signature_label.hide()
        layout.addWidget(self.signature_label)
        self.trail_label = QLabel()
        self.trail_label.setTextFormat(Qt.TextFormat.RichText)
        self.trail_label.setWordWrap(True)
        self.trail_label.setStyleSheet(TRAIL_STYLE)
        self.trail_label.setAccessibleName("Amendment trail")
        self.trail_label.hide()
        layout.addWidget(self.trail_label)
        self.missing_panel = QLabel()
        self.missing_panel.setTextFormat(Qt.TextFormat.RichText)
        self.missing_panel.setWordWrap(True)
        self.missing_panel.setStyleSheet(MISSING_STYLE)
        self.missing_panel.setAccessibleName("Missing before signing")
        self.missing_panel.hide()
        layout.addWidget(self.missing_panel)
        layout.addWidget(self.fields_form)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(body)

    def _show_patient(self) -> None:
        # Escaped, the name isolated, the line left to right: "O<Brien" or a Hebrew name as typed.
        amendment = amendment_heading(self.visit)
        self.header.setText(
            left_to_right(f"{full_name_html(self.patient)} — chart {escape(self.patient.chart_number)}")
            + (f"<br>{amendment}" if amendment else "")
        )
        text, recorded = alert_banner_text(self.patient)
        self.alert_banner.setText(text)
        self.alert_banner.setStyleSheet(ALERT_STYLE if recorded else NO_ALERT_STYLE)

    def set_patient(self, patient: PatientRecord) -> None:
        """The patient was edited elsewhere (the patient form): show their name, allergies
        and alerts as they are now."""
        if patient.id == self.patient.id:
            self.patient = patient
            self._show_patient()
            self.update_title()

    # ------------------------------------------------------------------ state

    @property
    def scene(self) -> FaceScene:
        return self.face_view.scene()

    @property
    def visit_date(self) -> date:
        return local_date(self.document.fields.started_at, self.database.timezone)

    # The templates (ui/templates_menu.py), the dirty state and autosave (ui/visit_saving.py).

    @property
    def templates(self) -> list[Template]:
        return self.templates_menu.templates

    @property
    def template_actions(self) -> dict[str, QAction]:
        return self.templates_menu.template_actions

    @property
    def clinic_templates(self) -> list[ClinicTemplate]:
        return self.templates_menu.clinic_templates

    @property
    def clinic_menu(self) -> Any:
        return self.templates_menu.clinic_menu

    @property
    def save_template_action(self) -> QAction:
        return self.templates_menu.save_template_action

    @property
    def autosave_timer(self) -> Any:
        return self.saving.timer

    def is_modified(self) -> bool:
        return self.saving.is_modified()

    def fields(self) -> VisitFields:
        """The visit's fields as the document holds them (what a save writes)."""
        return self.document.fields

    def run_task(
        self,
        channel: str,
        work: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[str], None] | None = None,
    ) -> None:
        """Work off the GUI thread, on this editor's own channel of the task runner; a
        refusal or failure of this task reaches `failed` (and, when unexpected, the runner's
        one handler too)."""
        self.tasks.run(self._channel + channel, work, done, refused=failed, owner=self, failed=failed)

    def update_title(self) -> None:
        signed = self.visit.status is VisitStatus.SIGNED
        state = (
            ("signed, read-only" if signed else "read-only")
            if self.locked
            else ("unsaved changes" if self.is_modified() else "saved")
        )
        when = self.visit.started_at.astimezone(self.database.timezone)
        self.setWindowTitle(f"Visit {when:%Y-%m-%d} — {full_name(self.patient)} ({state}) — Aliquot")

    def _clean_changed(self, _clean: bool) -> None:
        # The first edit after a save: the document announced it before the stack counted it.
        self.saving.chart_changed()
        self.update_title()

    def _barcodes_loaded(self, barcodes: dict[str, str]) -> None:
        self.pen_panel.barcodes = barcodes

    def load_packages(self) -> None:
        """The vials and syringes open at the visit, read again after every save."""
        from app.services.packages import packages_in_use

        self.run_task(
            "packages",
            partial(packages_in_use, self.database, self.visit.started_at),
            self.inspector.set_packages,
        )

    def update_actions(self) -> None:
        """Each action enabled as the registry says, for the editor as it is now."""
        selected = any(uid in self.document for uid in self.selected_uids())
        update_enabled(
            self.actions,
            EditorState(
                locked=self.locked,
                selected=selected,
                may_sign=self.signing.may_sign(),
                may_amend=self.signing.may_amend(),
                may_add_photos=self.photos.may_add(),
            ),
        )
        self.photos.update_enabled()
        for action in self.template_actions.values():
            action.setEnabled(not self.locked)
        if self.saving.saving:
            self.save_action.setEnabled(False)
            self.sign_action.setEnabled(False)

    def _fields_edited(self, fields: VisitFields) -> None:
        """The user changed a visit field: one undo command (typing merges into it)."""
        self.undo_stack.push(SetVisitFields(self.document, self.document.fields, fields))

    def _document_fields_changed(self, _fields: VisitFields) -> None:
        for scene in self.scenes.values():
            scene.set_visit_date(self.visit_date)
        self._chart_changed()

    def _update_legend(self) -> None:
        """Per product its total, then left against right in each paired area it went to:
        never the whole face's left against its right."""
        rows = []
        for total, balance in balance_per_product(self.document.charted()):
            colour = (
                self.products[total.product_name].colour if total.product_name in self.products else "#555"
            )
            rows.append(
                f"<span style='color:{colour}; font-size:16px'>●</span> <b>{escape(total.product_name)}</b>"
                f" &nbsp;{format_dose(total.amount, total.unit)}"
                + (f" — <i>{escape(balance)}</i>" if balance else "")
            )
        self.legend.setText("<br>".join(rows) or "<span style='color:#777'>Nothing charted yet.</span>")

    def _safety_loaded(self, context: SafetyContext) -> None:
        self.safety = context
        self._check_safety()

    def _check_safety(self) -> None:
        """Warnings of the chart as it is now: on the markers, in the totals and, when a
        change brings a new one, in the status bar. Never a dialog while charting."""
        context = replace(self.safety, allergies=self.patient.allergies)
        items = self.document.items()
        warnings = context.warnings([point for _, point in items], self.visit_date)
        marks: dict[int, list[SafetyWarning]] = {}
        for warning in warnings:
            for index in warning.points:
                marks.setdefault(items[index][0], []).append(warning)
        flags = {
            uid: ("\n".join(f"⚠ {w}" for w in found), any(w.refused for w in found))
            for uid, found in marks.items()
        }
        for scene in self.scenes.values():
            scene.set_safety(flags)
        self.totals.show_safety(warnings)
        said = {w.message for w in self.safety_warnings}
        new = [w for w in warnings if w.message not in said]
        self.safety_warnings = warnings
        if new and not self.locked:
            more = f" (and {len(new) - 1} more: see the totals)" if len(new) > 1 else ""
            self.statusBar().showMessage(f"⚠ {new[0]}{more}", 15000)

    def _chart_changed(self) -> None:
        self._check_safety()
        self._update_legend()
        self.totals.show_chart(self.document.charted(), self.visit_date)
        self._selection_changed()
        self.update_title()
        self.saving.chart_changed()

    def charting_refusal(self) -> str | None:
        """Why the signed-in user may not chart this visit (None: they may)."""
        user = self.database.user
        if user is None:
            return None
        if not user.may(Permission.CHART):
            return f"{ROLE_WORDS[user.role]} accounts cannot chart visits: this visit is read-only here."
        if user.role is Role.INJECTOR and user.provider_id != self.visit.provider_id:
            return (
                f"This visit is {self.visit.provider_name}'s: an injector charts their own visits;"
                " it is read-only here."
            )
        return None

    def may_chart_visit(self) -> bool:
        return self.charting_refusal() is None

    def show_missing(self, missing: list[str]) -> None:
        """What keeps the visit from being signed, listed above the chart (nothing: hidden)."""
        self.missing_panel.setText(
            "<b>Not signed yet — missing:</b><ul style='margin: 0'>"
            + "".join(f"<li>{escape(item)}</li>" for item in missing)
            + "</ul>"
        )
        self.missing_panel.setVisible(bool(missing))

    def set_locked(self, locked: bool) -> None:
        self.locked = locked
        signed = self.visit.status is VisitStatus.SIGNED
        self.locked_banner.setText(
            "This visit is signed and locked: it can be viewed and printed, not changed."
            + (" To correct it: Amend…" if signed and self.signing.may_amend() else "")
            if signed
            else self.charting_refusal() or ""
        )
        self.locked_banner.setVisible(locked)
        self.signature_label.setText(signature_text(self.visit, self.database.timezone))
        self.signature_label.setVisible(self.visit.signature is not None)
        if signed:
            self.missing_panel.hide()
        self._show_patient()
        for widget in (
            self.pen_panel,
            self.inspector,
            self.provider,
            self.started,
            self.consent,
            self.concern,
            self.notes,
        ):
            widget.setEnabled(not locked)
        self.update_actions()
        for scene in self.scenes.values():
            scene.set_visit_date(self.visit_date)
            scene.set_editable(not locked)
        self.update_title()

    def show_view(self, view: View) -> None:
        self.face_view.setScene(self.scenes[view])
        self.face_view.fit()
        self._selection_changed()

    # ------------------------------------------------------------------ edits

    def _pen_changed(self, pen: Pen | None) -> None:
        self.pen = pen

    def _pen_ready(self) -> bool:
        """A pen that can place points; if the pen's fields are not understood, say why."""
        if self.pen is None and self.pen_panel.refusal:
            self.statusBar().showMessage("Not placed. " + self.pen_panel.refusal, 15000)
        return self.pen is not None

    def _load_lots(self, panel, product_name: str) -> None:
        on = self.visit_date
        self.run_task(
            f"lots-{id(panel)}",
            partial(usable_lots, self.database, product_name, on),
            partial(panel.set_lots, product_name),
        )

    def place_point(self, x: float, y: float, region: str) -> None:
        if self.locked or not self._pen_ready():
            return
        view = self.scene.view
        self.undo_stack.push(
            AddPoints(
                self.document,
                [self.pen.point_at(view, x, y, region)],
                f"Place {self.pen.product_name} at {region}",
            )
        )

    def apply_template(self, template: Template | ClinicTemplate) -> None:
        if self.locked or not self._pen_ready() or self.pen is None:
            return
        if not self.commit_inspector():  # from the menu, typed inspector text may still be pending
            return  # the status bar says why; the amount is corrected first
        try:
            points = template.points_for(self.pen)
        except AliquotError as error:
            self.statusBar().showMessage(str(error), 8000)
            return
        self.view_tabs.setCurrentIndex(VIEWS.index(template.view))
        command = AddPoints(self.document, points, f"{template.name} ({self.pen.product_name})")
        self.undo_stack.push(command)
        self.scene.select_uids(command.uids)  # ready to nudge
        if isinstance(template, Template):
            total = template.total(self.pen.product_name)
            self.statusBar().showMessage(
                f"{template.name}: {len(points)} × {format_dose(points[0].amount, points[0].unit)}"
                f" = {format_dose(total, points[0].unit)} of {self.pen.product_name}",
                8000,
            )

    def copy_points(self, points: list[ChartedPoint]) -> None:
        """ "Copy previous visit": the earlier sites as one undoable step, lots to choose."""
        command = AddPoints(self.document, points, "Copy previous visit")
        self.undo_stack.push(command)
        # A dose mistyped last time is not carried silently: copied points are checked too.
        copied = {uid for uid, _ in self.document.items()[-len(points) :]} if points else set()
        marked = sum(1 for uid in copied if self.scene.safety.get(uid))
        warned = (
            f" {marked} of them break a safety check (marked ⚠): correct them or give a reason when saving."
            if marked
            else ""
        )
        self.statusBar().showMessage(
            f"Copied {len(points)} points from the previous visit.{warned} Choose today's lots:"
            " select the points (Ctrl+A) and pick a lot in the inspector.",
            15000,
        )

    def move_points(self, moved: dict) -> None:
        if self.locked:
            return
        after = {
            uid: replace(self.document.point(uid), x=x, y=y, region_code=region)
            for uid, (x, y, region) in moved.items()
        }
        self.undo_stack.push(
            ChangePoints(self.document, after, f"Move {len(after)} point{'s' if len(after) > 1 else ''}")
        )

    def selected_uids(self) -> list[int]:
        return self.scene.selected_uids()

    def delete_selected(self) -> None:
        uids = self.selected_uids()
        if uids and not self.locked:
            self.undo_stack.push(
                RemovePoints(self.document, uids, f"Delete {len(uids)} point{'s' if len(uids) > 1 else ''}")
            )

    def mirror_selected(self) -> None:
        uids = self.selected_uids()
        if not uids or self.locked:
            return
        copies = [copy for copy in (mirrored(self.document.point(uid)) for uid in uids) if copy]
        skipped = len(uids) - len(copies)
        if skipped:
            self.statusBar().showMessage(
                f"{skipped} midline point{'s were' if skipped > 1 else ' was'} not mirrored:"
                " the midline has no other side.",
                8000,
            )
        if not copies:
            return
        command = AddPoints(
            self.document, copies, f"Mirror {len(copies)} point{'s' if len(copies) > 1 else ''}"
        )
        self.undo_stack.push(command)
        if all(self.document.point(uid).view is self.scene.view for uid in command.uids):
            self.scene.select_uids(command.uids)

    def select_all(self) -> None:
        self.scene.select_uids(list(self.scene.markers))

    def edit_selected(self, field: str, value) -> None:
        """An inspector edit, applied to the points the inspector shows, with whatever else
        was typed there and not yet committed (one undo step)."""
        pending, _refused = self.inspector.take_pending()
        self._edit_points(self._inspected_uids, [(f, v) for f, v in pending if f != field] + [(field, value)])

    def _edit_points(self, uids: list[int], edits: list[tuple[str, object]]) -> None:
        uids = [uid for uid in uids if uid in self.document]
        if not uids or not edits or self.locked:
            return
        after = {}
        for uid in uids:
            point = self.document.point(uid)
            for field, value in edits:
                point = Inspector.apply(point, field, value)
            after[uid] = point
        if any(after[uid] != self.document.point(uid) for uid in uids):
            fields = ", ".join(field for field, _ in edits)
            self.undo_stack.push(ChangePoints(self.document, after, f"Change {fields}"))

    def commit_inspector(self) -> bool:
        """What was typed in the inspector and not yet committed goes to the points it was
        typed for (a shortcut may act, or the selection change, while a field has focus).
        False when a typed amount cannot be applied; it is said in the status bar."""
        pending, refused = self.inspector.take_pending()
        if refused:
            self.statusBar().showMessage(refused, 15000)
        self._edit_points(self._inspected_uids, pending)
        return refused is None

    def _scene_selection_changed(self) -> None:
        # Only a change of selection commits typed text; a change of the document (an undo,
        # a push) never does, so no command is ever pushed while another runs.
        self.commit_inspector()
        self._selection_changed()

    def _selection_changed(self) -> None:
        uids = [uid for uid in self.selected_uids() if uid in self.document]
        points: list[ChartedPoint] = [self.document.point(uid) for uid in uids]
        self._inspected_uids = uids
        if [p for p in points] != self.inspector.points:
            self.inspector.show_points(points)
        self.update_actions()

    def _show_region(self, label: str) -> None:
        self.region_label.setText(label or " ")

    def _toggle_ghosts(self, visible: bool) -> None:
        for scene in self.scenes.values():
            scene.set_ghosts_visible(visible)

    def _toggle_outlines(self, visible: bool) -> None:
        for scene in self.scenes.values():
            scene.set_outlines_visible(visible)

    def _toggle_muscles(self, visible: bool) -> None:
        for scene in self.scenes.values():
            scene.set_muscles_visible(visible)

    @classmethod
    def ask_delete_template(cls, parent, name: str) -> bool:
        """Tests replace this."""
        return (
            QMessageBox.question(
                parent,
                "Delete clinic template",
                f"Delete the clinic template “{name}” for every workstation? Charts it was used on keep"
                " their points.",
            )
            == QMessageBox.StandardButton.Yes
        )

    def show_record(self) -> None:
        """The saved visit as a PDF record (save first: the record shows what is stored)."""
        from ui.record_preview import RecordPreview

        if self.is_modified():
            self.statusBar().showMessage("Save the visit first: the record shows the saved chart.", 8000)
            return
        when = self.visit.started_at.astimezone(self.database.timezone)
        self.preview = RecordPreview(
            f"Record of {full_name(self.patient)}, {when:%Y-%m-%d}",
            suggested_file_name(self.patient.chart_number, f"{when:%Y-%m-%d}", suffix=".pdf"),
            partial(visit_record_pdf, self.database, self.visit.id),
            self,
        )
        self.preview.setWindowFlag(Qt.WindowType.Window)
        self.preview.show()

    @classmethod
    def ask_template_name(cls, parent, current: str = "") -> str | None:
        """Tests replace this."""
        name, accepted = QInputDialog.getText(
            parent,
            "Rename clinic template" if current else "Save as clinic template",
            "Name of the template (shared with every workstation):",
            text=current,
        )
        return name if accepted else None

    # ------------------------------------------------------------------ saving (ui/visit_saving.py)

    @classmethod
    def ask_warning_reason(cls, parent, warnings: list[SafetyWarning]) -> str | None:
        """Tests replace this. One question for every warning of the visit: why go on?
        The reason is stored with the visit and printed on its record; None: not saved."""
        listed = "\n".join(f"• {w}" for w in warnings)
        previous = getattr(getattr(parent, "visit", None), "warning_reason", "")
        text, ok = QInputDialog.getMultiLineText(
            parent,
            "Safety warnings",
            f"This visit breaks {len(warnings)} safety check{'s' if len(warnings) > 1 else ''}:\n\n"
            f"{listed}\n\nWhy go on? The reason is kept with the visit and printed on its record.",
            previous,
        )
        return text.strip() if ok and text.strip() else None

    @classmethod
    def ask_save_without_lots(cls, parent, count: int) -> bool:
        """Tests replace this. Lots are for recalls: saving without them is a decision."""
        answer = QMessageBox.question(
            parent,
            "Lots missing",
            f"{count} point{'s have' if count > 1 else ' has'} no lot recorded (a recall could not"
            " find this patient). Save anyway?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def save(self) -> None:
        self.saving.save()

    def sign(self) -> None:
        self.signing.sign()

    def amend(self) -> None:
        self.signing.amend()

    @classmethod
    def ask_sign(cls, parent, question: str) -> bool:
        """Tests replace this. Signing locks the visit: asked once, plainly."""
        answer = QMessageBox.question(parent, "Sign visit", question)
        return answer == QMessageBox.StandardButton.Yes

    def autosave(self) -> None:
        self.saving.autosave()

    def restore(self, recovered: RecoveredChart) -> None:
        """Bring back a chart left unsaved by a crash, as one undoable step."""
        self.saving.restore(recovered)

    # ------------------------------------------------------------------ closing

    @classmethod
    def ask_discard(cls, parent) -> bool:
        """Tests replace this; a real close with unsaved changes asks the user."""
        answer = QMessageBox.question(
            parent, "Unsaved changes", "This visit has unsaved changes. Close without saving?"
        )
        return answer == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------------ photos (ui/visit_photos.py)

    def dragEnterEvent(self, event: Any) -> None:
        if dropped_paths(event.mimeData()) and self.photos.may_add():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dropEvent(self, event: Any) -> None:
        if self.photos.dropped(event):
            event.acceptProposedAction()
        else:
            super().dropEvent(event)

    def closeEvent(self, event: Any) -> None:
        typed_ok = self.commit_inspector()
        if (self.is_modified() or not typed_ok) and not self.locked and not self.ask_discard(self):
            event.ignore()
            return
        self.saving.closed()
        self.photos.watch.watch(None)
        super().closeEvent(event)
