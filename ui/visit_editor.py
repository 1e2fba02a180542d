"""The visit editor: the face map in the centre, the pen and templates on the left, the
inspector and live totals on the right, the visit's fields above. Every chart edit is an
undo command; saving writes the whole visit in one transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from functools import partial
from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
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
from app.services.recall import describe_due, patient_due
from app.services.templates import clinic_templates, delete_template, rename_template, save_template
from app.services.visits import StartingPen, VisitFields, discard_empty_draft, local_date, replace_points
from app.storage.autosave import RecoveredChart, discard_recovery, write_recovery
from app.storage.database import Database
from app.storage.files import suggested_file_name
from models.amounts import format_dose
from models.chart import ChartDocument, Pen, mirrored
from models.dates import Century
from models.errors import AliquotError
from models.guardrails import SafetyWarning
from models.guardrails import bundled as bundled_guardrails
from models.records import ChartedPoint, PatientRecord, ProductRecord, VisitRecord
from models.templates import ClinicTemplate, Template, bundled_templates
from models.totals import balance_per_product
from models.vocabulary import View, VisitStatus
from ui.commands import AddPoints, ChangePoints, RemovePoints, SetVisitFields
from ui.date_field import DateTimeField
from ui.face_scene import FaceScene
from ui.face_view import FaceView
from ui.inspector import Inspector
from ui.pen_panel import PenPanel
from ui.tasks import TaskRunner
from ui.totals_panel import TotalsPanel

VIEWS = [View.FRONT, View.LEFT, View.RIGHT]
AUTOSAVE_DELAY_MS = 3000  # after the last edit
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

    def __init__(
        self,
        database: Database,
        patient: PatientRecord,
        visit: VisitRecord,
        products: list[ProductRecord],
        providers: list,
        previous: VisitRecord | None = None,
        clinic_templates: list[ClinicTemplate] | None = None,
        created: bool = False,
        parent=None,
        starting_pen: StartingPen | None = None,
    ):
        super().__init__(parent)
        self.database = database
        self.patient = patient
        self.visit = visit
        self.products = {p.name: p for p in products}
        self.tasks = TaskRunner(self)
        self.tasks.failed.connect(self._task_failed)
        self.document = ChartDocument(visit.points)
        self.undo_stack = QUndoStack(self)
        self.pen: Pen | None = None
        self.templates = bundled_templates()
        self.clinic_templates = list(clinic_templates or [])
        self.locked = visit.status is VisitStatus.SIGNED
        # A visit made by "New visit" for this editor and not saved yet: closing it
        # without saving removes it again.
        self.created_unsaved = created
        self._saving_state = None

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
        self.totals = TotalsPanel(self.products)
        # Safety checks run on every change, in memory: at once against the rules as shipped
        # and the allergies, then against the clinic's rules and the patient's earlier visits
        # once they are read. They mark points and totals; only saving asks anything.
        self.safety = SafetyContext(
            (), {p.name: p.kind for p in products}, patient.allergies, bundled_guardrails()
        )
        self.safety_warnings: list[SafetyWarning] = []
        self._build_fields(providers)
        self._build_actions()
        self._build_layout(previous)

        self.autosave_timer = QTimer(self, singleShot=True, interval=AUTOSAVE_DELAY_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.document.subscribe(lambda *_: self._chart_changed())
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
        self.tasks.run("safety", partial(safety_context, database, patient.id, visit.id), self._safety_loaded)
        self.resize(1500, 950)

    # ------------------------------------------------------------------ building

    def _build_fields(self, providers) -> None:
        self.provider = QComboBox()
        for provider in providers:
            self.provider.addItem(provider.label, provider.id)
        self.provider.setCurrentIndex(max(0, self.provider.findData(self.visit.provider_id)))
        self.started = DateTimeField(Century.NEAR, date.today)
        self._shown_started = self._displayed(self.visit.started_at)  # unchanged: keep the exact time
        self.started.set_moment(self._shown_started)
        self.consent = QCheckBox("Consent recorded")
        self.consent.setChecked(self.visit.consent_recorded)
        self.concern = QLineEdit(self.visit.concern)
        self.concern.setPlaceholderText("Concern, e.g. left brow higher at rest")
        self.notes = QLineEdit(self.visit.notes)
        self.notes.setPlaceholderText("Notes")
        self._fields_shown = self.fields()
        for signal in (
            self.provider.currentIndexChanged,
            self.started.edited,
            self.consent.toggled,
            self.concern.textEdited,
            self.notes.textEdited,
        ):
            signal.connect(self._fields_edited)

    def _displayed(self, moment: datetime) -> datetime:
        """A stored time as the time field shows it: the clinic's clock, to the minute."""
        return moment.astimezone(self.database.timezone).replace(second=0, microsecond=0, tzinfo=None)

    def _action(self, text: str, slot, shortcut=None, checkable=False, checked=False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(checkable)
        action.setChecked(checked)

        def run(on: bool = False) -> None:
            # Text typed in the inspector first goes to its points: a shortcut or a toolbar
            # button acts while the field still has focus (mirror must copy the typed dose).
            self._commit_inspector()
            slot(on) if checkable else slot()

        action.triggered.connect(run)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.undo_action = self._action("Undo", self.undo_stack.undo, QKeySequence.StandardKey.Undo)
        # Both conventions: Ctrl+Shift+Z (Linux, macOS) and Ctrl+Y (Windows).
        self.redo_action = self._action("Redo", self.undo_stack.redo, "Ctrl+Shift+Z")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.undo_stack.canUndoChanged.connect(self.undo_action.setEnabled)
        self.undo_stack.canRedoChanged.connect(self.redo_action.setEnabled)
        self.undo_stack.undoTextChanged.connect(lambda text: self.undo_action.setToolTip(f"Undo {text}"))
        self.undo_stack.redoTextChanged.connect(lambda text: self.redo_action.setToolTip(f"Redo {text}"))
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)
        self.save_action = self._action("&Save", self.save, QKeySequence.StandardKey.Save)
        self.delete_action = self._action("Delete", self.delete_selected, QKeySequence.StandardKey.Delete)
        self.delete_action.setToolTip("Delete the selected points (Del)")
        self.mirror_action = self._action("Mirror", self.mirror_selected, "Ctrl+M")
        self.mirror_action.setToolTip("Copy the selected points onto the other side of the face (Ctrl+M)")
        self.select_all_action = self._action(
            "Select &all", self.select_all, QKeySequence.StandardKey.SelectAll
        )
        self.zoom_in_action = self._action(
            "Zoom in", lambda: self.face_view.zoom_in(), QKeySequence.StandardKey.ZoomIn
        )
        self.zoom_out_action = self._action(
            "Zoom out", lambda: self.face_view.zoom_out(), QKeySequence.StandardKey.ZoomOut
        )
        self._action("Choose the pen's product", lambda: self.pen_panel.product.setFocus(), "Ctrl+Shift+P")
        self.record_action = self._action("Record", self.show_record, "Ctrl+P")
        self.record_action.setToolTip("Preview, print or save the visit record as PDF (Ctrl+P)")
        self._action("Choose the pen's lot", lambda: self.pen_panel.lot.setFocus(), "Ctrl+L")
        self.zoom_fit_action = self._action("Fit", lambda: self.face_view.reset_zoom(), "Ctrl+0")
        self.zoom_fit_action.setToolTip("Show the whole face (Ctrl+0); Ctrl+wheel zooms, middle button pans")
        self.ghost_action = self._action("Previous visit", self._toggle_ghosts, "G", True, True)
        self.outline_action = self._action("Regions", self._toggle_outlines, "R", True)
        self.muscle_action = self._action("Muscles", self._toggle_muscles, "U", True)
        for index, view in enumerate(VIEWS, start=1):
            self._action(
                VIEW_TITLES[view], partial(self.view_tabs.setCurrentIndex, index - 1), f"Ctrl+{index}"
            )
        self.template_actions = {}
        for number, template in enumerate(self.templates, start=1):
            action = self._action(template.label, partial(self.apply_template, template), f"Alt+{number}")
            action.setToolTip(f"{template.name} (Alt+{number}): {template.source}")
            self.template_actions[template.key] = action
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
        toolbar.addWidget(QLabel(" Templates: "))
        for action in self.template_actions.values():
            toolbar.addAction(action)
        self.clinic_menu = QMenu("Clinic templates", self)
        self.save_template_action = QAction("Save selection as a clinic template…", self)
        self.save_template_action.triggered.connect(self.save_selection_as_template)
        self._fill_clinic_menu()
        clinic_button = QToolButton()
        clinic_button.setText("Clinic ▾")
        clinic_button.setToolTip("The clinic's own templates, and saving the selection as one")
        clinic_button.setMenu(self.clinic_menu)
        clinic_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        toolbar.addWidget(clinic_button)
        toolbar.addSeparator()
        toolbar.addAction(self.record_action)
        for action in (self.ghost_action, self.outline_action, self.muscle_action, self.zoom_fit_action):
            toolbar.addAction(action)
        self.addToolBar(toolbar)

    def _build_layout(self, previous: VisitRecord | None) -> None:
        header = QLabel(
            f"<b>{self.patient.given_name} {self.patient.family_name}</b> — chart {self.patient.chart_number}"
        )
        header.setTextFormat(
            Qt.TextFormat.PlainText if "<" in self.patient.family_name else Qt.TextFormat.RichText
        )
        # Allergies and alerts, always in sight while charting (the patient page is covered).
        self.alert_banner = QLabel()
        self.alert_banner.setObjectName("alertBanner")
        self.alert_banner.setTextFormat(Qt.TextFormat.RichText)
        self.alert_banner.setWordWrap(True)
        self.alert_banner.setAccessibleName("Allergies and alerts")
        self._show_alerts()
        fields = QHBoxLayout()
        for label, widget in (("Injector", self.provider), ("Time", self.started)):
            fields.addWidget(QLabel(label))
            fields.addWidget(widget)
        fields.addWidget(self.consent)
        fields.addWidget(self.concern, 2)
        fields.addWidget(self.notes, 2)
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
        centre_layout.addWidget(self.face_view, 1)
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

        splitter = QSplitter()
        for widget in (left, centre, right):
            splitter.addWidget(widget)
        splitter.setSizes([300, 700, 480])
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(header)
        layout.addWidget(self.alert_banner)
        self.locked_banner = QLabel(
            "This visit is signed and locked: it can be viewed and printed, not changed."
        )
        self.locked_banner.setStyleSheet(
            "background: #fff3cd; color: #6b4e00; padding: 4px; font-weight: 600"
        )
        layout.addWidget(self.locked_banner)
        layout.addLayout(fields)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(body)

    def _show_alerts(self) -> None:
        text, recorded = alert_banner_text(self.patient)
        self.alert_banner.setText(text)
        self.alert_banner.setStyleSheet(ALERT_STYLE if recorded else NO_ALERT_STYLE)

    def set_patient(self, patient: PatientRecord) -> None:
        """The patient was edited elsewhere (the patient form): show their allergies and
        alerts as they are now."""
        if patient.id == self.patient.id:
            self.patient = patient
            self._show_alerts()
            self._update_title()

    # ------------------------------------------------------------------ state

    @property
    def scene(self) -> FaceScene:
        return self.face_view.scene()

    @property
    def visit_date(self) -> date:
        return local_date(self.fields().started_at, self.database.timezone)

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def fields(self) -> VisitFields:
        shown = self._typed_started()
        if shown is None:  # a date half typed: the last one understood stands until saving
            started = self._fields_shown.started_at
        elif shown == self._shown_started:
            started = self.visit.started_at  # to the second, as stored
        else:
            started = shown.replace(tzinfo=self.database.timezone)
        return VisitFields(
            provider_id=self.provider.currentData(),
            started_at=started,
            concern=self.concern.text().strip(),
            notes=self.notes.text().strip(),
            consent_recorded=self.consent.isChecked(),
        )

    def _typed_started(self) -> datetime | None:
        try:
            return self.started.moment()
        except ValueError:
            return None

    def _clean_changed(self, _clean: bool) -> None:
        self._update_title()

    def _update_title(self) -> None:
        state = "signed, read-only" if self.locked else ("unsaved changes" if self.is_modified() else "saved")
        when = self.visit.started_at.astimezone(self.database.timezone)
        self.setWindowTitle(
            f"Visit {when:%Y-%m-%d} — {self.patient.given_name} {self.patient.family_name}"
            f" ({state}) — Aliquot"
        )

    def _fields_edited(self, *_args) -> None:
        """The user changed a visit field: one undo command (typing merges into it)."""
        fields = self.fields()
        if fields != self._fields_shown:
            self.undo_stack.push(SetVisitFields(self, self._fields_shown, fields))

    def apply_fields(self, fields: VisitFields) -> None:
        """Show these visit fields (from an undo command); no new command is made."""
        widgets = (self.provider, self.started, self.consent, self.concern, self.notes)
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.provider.setCurrentIndex(max(0, self.provider.findData(fields.provider_id)))
            moment = (
                self._shown_started
                if fields.started_at == self.visit.started_at
                else self._displayed(fields.started_at)
            )
            if self._typed_started() != moment:  # never rewrite a date while it is being typed
                self.started.set_moment(moment)
            self.consent.setChecked(fields.consent_recorded)
            if self.concern.text() != fields.concern:
                self.concern.setText(fields.concern)
            if self.notes.text() != fields.notes:
                self.notes.setText(fields.notes)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._fields_shown = fields
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
        self._update_title()
        if self.is_modified() and not self.locked:
            self.autosave_timer.start()

    def autosave(self) -> None:
        """Keep the unsaved chart in a recovery file (small, written in place of the last)."""
        if self.is_modified() and not self.locked:
            try:  # a small file, written in place: quick enough for the GUI thread
                write_recovery(
                    self.database, self.visit.id, self.visit.version, self.fields(), self.document.charted()
                )
            except OSError as error:
                self.statusBar().showMessage(
                    f"Unsaved changes could not be kept for recovery ({error.strerror}): save soon."
                )

    def restore(self, recovered: RecoveredChart) -> None:
        """Bring back a chart left unsaved by a crash, as one undoable step."""
        self.undo_stack.beginMacro("Recovered unsaved chart")
        self.undo_stack.push(RemovePoints(self.document, [uid for uid, _ in self.document.items()]))
        self.undo_stack.push(AddPoints(self.document, recovered.points, "Recovered unsaved chart"))
        if recovered.fields != self._fields_shown:
            self.undo_stack.push(SetVisitFields(self, self._fields_shown, recovered.fields))
        self.undo_stack.endMacro()
        saved_since = recovered.version != self.visit.version
        # Save against the version the recovered chart was made from: if the visit was
        # saved after it, the save is refused rather than overwriting the newer chart.
        self.visit = replace(self.visit, version=recovered.version)
        if saved_since:
            self.statusBar().showMessage(
                "Recovered an unsaved chart, but this visit was saved again after it: saving"
                " will be refused. Compare with the saved visit before keeping anything."
            )
        else:
            self.statusBar().showMessage(
                f"Recovered the chart left unsaved at {recovered.saved_at:%Y-%m-%d %H:%M}. Save it to keep it."
            )

    def set_locked(self, locked: bool) -> None:
        self.locked = locked
        self.locked_banner.setVisible(locked)
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
        for action in [
            self.save_action,
            self.delete_action,
            self.mirror_action,
            *self.template_actions.values(),
        ]:
            action.setEnabled(not locked)
        for scene in self.scenes.values():
            scene.set_visit_date(self.visit_date)
            scene.set_editable(not locked)
        self._update_title()

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
        self.tasks.run(
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

    def _fill_clinic_menu(self) -> None:
        self.clinic_menu.clear()
        for template in self.clinic_templates:
            action = self.clinic_menu.addAction(template.name)
            action.triggered.connect(partial(self.apply_template, template))
        if self.clinic_templates:
            self.clinic_menu.addSeparator()
        self.clinic_menu.addAction(self.save_template_action)
        if self.clinic_templates:
            rename_menu = self.clinic_menu.addMenu("Rename")
            delete_menu = self.clinic_menu.addMenu("Delete")
            for template in self.clinic_templates:
                rename_menu.addAction(template.name).triggered.connect(
                    partial(self.rename_template, template)
                )
                delete_menu.addAction(template.name).triggered.connect(
                    partial(self.delete_template, template)
                )

    def rename_template(self, template: ClinicTemplate) -> None:
        name = self.ask_template_name(self, template.name)
        if name and name != template.name:
            self.tasks.run(
                "template",
                partial(rename_template, self.database, template.key, name),
                lambda renamed: self._templates_changed(f"Renamed the clinic template {renamed.name}."),
            )

    def delete_template(self, template: ClinicTemplate) -> None:
        if self.ask_delete_template(self, template.name):
            self.tasks.run(
                "template",
                partial(delete_template, self.database, template.key),
                lambda _: self._templates_changed(f"Deleted the clinic template {template.name}."),
            )

    def _templates_changed(self, message: str) -> None:
        self.tasks.run("templates", partial(clinic_templates, self.database), self._templates_loaded)
        self.statusBar().showMessage(message, 5000)

    def _templates_loaded(self, templates: list[ClinicTemplate]) -> None:
        self.clinic_templates = templates
        self._fill_clinic_menu()

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
            f"Record of {self.patient.given_name} {self.patient.family_name}, {when:%Y-%m-%d}",
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

    def save_selection_as_template(self) -> None:
        uids = self.selected_uids() or [uid for uid, _ in self.document.items()]
        points = [self.document.point(uid) for uid in uids]
        name = self.ask_template_name(self) if points else None
        if name:
            self.tasks.run(
                "template", partial(save_template, self.database, name, points), self._template_saved
            )

    def _template_saved(self, template: ClinicTemplate) -> None:
        self.clinic_templates.append(template)
        self._fill_clinic_menu()
        self.statusBar().showMessage(f"Saved the clinic template {template.name}.", 5000)

    def apply_template(self, template: Template | ClinicTemplate) -> None:
        if self.locked or not self._pen_ready():
            return
        if not self._commit_inspector():  # from the menu, typed inspector text may still be pending
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

    def _commit_inspector(self) -> bool:
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
        self._commit_inspector()
        self._selection_changed()

    def _selection_changed(self) -> None:
        uids = [uid for uid in self.selected_uids() if uid in self.document]
        points: list[ChartedPoint] = [self.document.point(uid) for uid in uids]
        self._inspected_uids = uids
        if [p for p in points] != self.inspector.points:
            self.inspector.show_points(points)
        self.mirror_action.setEnabled(bool(uids) and not self.locked)
        self.delete_action.setEnabled(bool(uids) and not self.locked)

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

    # ------------------------------------------------------------------ saving

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
        if self.locked:
            return
        if not self._commit_inspector():
            self.statusBar().showMessage(
                "Not saved: "
                + self.inspector.amount.message.text()
                + " Correct the amount in the inspector.",
                15000,
            )
            return
        try:
            self.started.moment()
        except ValueError as refused:
            self.statusBar().showMessage(f"Not saved: the visit's date: {refused}.", 15000)
            self.started.day.line.setFocus()
            return
        without_lot = sum(1 for p in self.document.charted() if not p.lot_number)
        if without_lot and not self.ask_save_without_lots(self, without_lot):
            self.statusBar().showMessage(
                "Not saved: choose the lots (select the points, then the lot in the inspector).", 15000
            )
            return
        refused = [w for w in self.safety_warnings if w.refused]
        if refused:  # the service refuses them too; said here with every figure, before asking
            self.statusBar().showMessage("Not saved: " + "; ".join(map(str, refused)), 20000)
            return
        warnings = [w for w in self.safety_warnings if not w.refused]
        reason = self.ask_warning_reason(self, warnings) if warnings else ""
        if reason is None:
            self.statusBar().showMessage(
                "Not saved: give a reason for the safety warnings, or correct the marked points.", 15000
            )
            return
        drafts = self.document.drafts()
        fields = self.fields()
        # What is being saved: edits made while the save runs stay unsaved.
        self._saving_state = (self.undo_stack.index(), fields)
        self.save_action.setEnabled(False)
        self.statusBar().showMessage("Saving…")
        self.tasks.run(
            "save",
            partial(
                replace_points,
                self.database,
                self.visit.id,
                self.visit.version,
                drafts,
                fields,
                warning_reason=reason,
            ),
            self._saved,
        )

    def _saved(self, visit: VisitRecord) -> None:
        self.visit = visit
        self.created_unsaved = False
        saved_index, saved_fields = self._saving_state
        self._saving_state = None
        self._shown_started = self._displayed(visit.started_at)
        self._fields_shown = self.fields()
        if self.undo_stack.index() == saved_index and saved_fields == self.fields():
            self.undo_stack.setClean()
            self.autosave_timer.stop()
            discard_recovery(self.database, visit.id)
        else:  # changed while saving: still unsaved, and kept in the recovery file
            self.autosave_timer.start()
        self.save_action.setEnabled(True)
        self._update_title()
        self.statusBar().showMessage(f"Saved {len(visit.points)} points.", 5000)
        today = datetime.now(self.database.timezone).date()
        self.tasks.run(
            "next-due", partial(patient_due, self.database, self.patient.id, today), self._show_next_due
        )
        self.saved.emit(visit)

    def _show_next_due(self, rows) -> None:
        text = describe_due(rows)
        self.next_due_label.setText(f"Next due — {text}" if text else "")

    def _task_failed(self, message: str) -> None:
        if self._saving_state is not None:
            self._saving_state = None
            self.save_action.setEnabled(not self.locked)
            self.statusBar().showMessage(f"Not saved: {message}", 20000)
        else:
            self.statusBar().showMessage(message, 20000)

    # ------------------------------------------------------------------ closing

    @classmethod
    def ask_discard(cls, parent) -> bool:
        """Tests replace this; a real close with unsaved changes asks the user."""
        answer = QMessageBox.question(
            parent, "Unsaved changes", "This visit has unsaved changes. Close without saving?"
        )
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event) -> None:
        typed_ok = self._commit_inspector()
        if (self.is_modified() or not typed_ok) and not self.locked and not self.ask_discard(self):
            event.ignore()
            return
        self.autosave_timer.stop()
        discard_recovery(self.database, self.visit.id)  # closed on purpose: nothing to recover
        self.tasks.wait()
        if self.created_unsaved:  # "New visit", then closed without saving: take it back
            discard_empty_draft(self.database, self.visit.id, self.visit.version)
        super().closeEvent(event)
