"""Saving a visit, and keeping it safe until it is saved.

The controller owns the editor's dirty state (the undo stack's clean state), the
autosave timer (3 s after the last edit the unsaved chart goes to a recovery file), the
save itself (checked here, written by `replace_points` on the task runner's thread), the
recovery of a chart left unsaved by a crash, and what a close leaves behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from app.services.recall import describe_due, patient_due
from app.services.visits import SavedVisit, discard_empty_draft, replace_points
from app.storage.autosave import RecoveredChart, discard_recovery, write_recovery
from models.chart import VisitFields
from ui.commands import AddPoints, RemovePoints, SetVisitFields

if TYPE_CHECKING:
    from ui.visit_editor import VisitEditor

AUTOSAVE_DELAY_MS = 3000  # after the last edit


class Timer(Protocol):
    """What the autosave needs of a timer: QTimer, or a test's ManualTimer."""

    @property
    def timeout(self) -> Any: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def isActive(self) -> bool: ...


TimerSource = Timer | Callable[[], Timer]


def autosave_timer(parent: QObject) -> QTimer:
    return QTimer(parent, singleShot=True, interval=AUTOSAVE_DELAY_MS)


class VisitSaving(QObject):
    ended = Signal(bool)  # a save ended: stored (True), or refused or failed (False)

    def __init__(self, editor: VisitEditor, timer: TimerSource | None = None):
        super().__init__(editor)
        self.editor = editor
        if timer is None:
            self.timer: Timer = autosave_timer(self)
        elif hasattr(timer, "start"):  # a timer object
            self.timer = timer  # type: ignore[assignment]
        else:  # a factory of timers
            self.timer = timer()
        self.timer.timeout.connect(self.autosave)
        # What a save under way writes (the undo index and the fields): edits made while
        # it runs stay unsaved. None: no save under way.
        self._saving: tuple[int, VisitFields] | None = None

    # ------------------------------------------------------------------ dirty state

    def is_modified(self) -> bool:
        return not self.editor.undo_stack.isClean()

    def chart_changed(self) -> None:
        """An edit (or its undo): the recovery file follows a few seconds later."""
        if self.is_modified() and not self.editor.locked:
            self.timer.start()

    def autosave(self) -> None:
        """Keep the unsaved chart in a recovery file (small, written in place of the last)."""
        editor = self.editor
        if self.is_modified() and not editor.locked:
            try:  # a small file, written in place: quick enough for the GUI thread
                write_recovery(
                    editor.database,
                    editor.visit.id,
                    editor.visit.version,
                    editor.document.fields,
                    editor.document.charted(),
                )
            except OSError as error:
                editor.statusBar().showMessage(
                    f"Unsaved changes could not be kept for recovery ({error.strerror}): save soon."
                )

    # ------------------------------------------------------------------ saving

    @property
    def saving(self) -> bool:
        return self._saving is not None

    def save(self) -> None:
        editor = self.editor
        say = editor.statusBar().showMessage
        if editor.locked:
            return
        if not editor.commit_inspector():
            say(
                "Not saved: "
                + editor.inspector.amount.message.text()
                + " Correct the amount in the inspector.",
                15000,
            )
            return
        try:
            editor.fields_form.started.moment()
        except ValueError as error:
            say(f"Not saved: the visit's date: {error}.", 15000)
            editor.fields_form.started.day.line.setFocus()
            return
        without_lot = sum(1 for p in editor.document.charted() if not p.lot_number)
        if without_lot and not editor.ask_save_without_lots(editor, without_lot):
            say("Not saved: choose the lots (select the points, then the lot in the inspector).", 15000)
            return
        refusals = [w for w in editor.safety_warnings if w.refused]
        if refusals:  # the service refuses them too; said here with every figure, before asking
            say("Not saved: " + "; ".join(map(str, refusals)), 20000)
            return
        warnings = [w for w in editor.safety_warnings if not w.refused]
        reason = editor.ask_warning_reason(editor, warnings) if warnings else ""
        if reason is None:
            say("Not saved: give a reason for the safety warnings, or correct the marked points.", 15000)
            return
        drafts = editor.document.drafts()
        fields = editor.document.fields
        self._saving = (editor.undo_stack.index(), fields)
        editor.update_actions()
        say("Saving…")
        editor.run_task(
            "save",
            partial(
                replace_points,
                editor.database,
                editor.visit.id,
                editor.visit.version,
                drafts,
                fields,
                warning_reason=reason,
            ),
            self._saved,
            failed=self.failed,
        )

    def _saved(self, result: SavedVisit) -> None:
        editor = self.editor
        visit, changes = result, result.changes
        editor.visit = visit
        editor.created_unsaved = False
        assert self._saving is not None
        saved_index, saved_fields = self._saving
        self._saving = None
        editor.fields_form.set_stored_time(visit.started_at)
        if editor.undo_stack.index() == saved_index and saved_fields == editor.document.fields:
            editor.undo_stack.setClean()
            self.timer.stop()
            discard_recovery(editor.database, visit.id)
        else:  # changed while saving: still unsaved, and kept in the recovery file
            self.timer.start()
        editor.update_actions()
        editor.update_title()
        editor.statusBar().showMessage(f"Saved {len(visit.points)} points.", 5000)
        announce = getattr(editor.tasks, "announce", None)
        if callable(announce):  # the application's runner tells every window
            announce(changes)
        today = datetime.now(editor.database.timezone).date()
        editor.run_task(
            "next-due", partial(patient_due, editor.database, editor.patient.id, today), self._next_due
        )
        editor.load_packages()  # what is left in them changed
        editor.saved.emit(visit)
        self.ended.emit(True)

    def _next_due(self, rows: Any) -> None:
        text = describe_due(rows)
        self.editor.next_due_label.setText(f"Next due — {text}" if text else "")

    def failed(self, message: str) -> None:
        """The save was refused or failed: say so and allow saving again."""
        self._saving = None
        self.editor.update_actions()
        self.editor.statusBar().showMessage(f"Not saved: {message}", 20000)
        self.ended.emit(False)

    # ------------------------------------------------------------------ recovery, closing

    def restore(self, recovered: RecoveredChart) -> None:
        """Bring back a chart left unsaved by a crash, as one undoable step."""
        editor = self.editor
        document, stack = editor.document, editor.undo_stack
        stack.beginMacro("Recovered unsaved chart")
        stack.push(RemovePoints(document, [uid for uid, _ in document.items()]))
        stack.push(AddPoints(document, recovered.points, "Recovered unsaved chart"))
        if recovered.fields != document.fields:
            stack.push(SetVisitFields(document, document.fields, recovered.fields))
        stack.endMacro()
        saved_since = recovered.version != editor.visit.version
        # Save against the version the recovered chart was made from: if the visit was
        # saved after it, the save is refused rather than overwriting the newer chart.
        editor.visit = replace(editor.visit, version=recovered.version)
        if saved_since:
            editor.statusBar().showMessage(
                "Recovered an unsaved chart, but this visit was saved again after it: saving"
                " will be refused. Compare with the saved visit before keeping anything."
            )
        else:
            editor.statusBar().showMessage(
                f"Recovered the chart left unsaved at {recovered.saved_at:%Y-%m-%d %H:%M}. Save it to keep it."
            )

    def closed(self) -> None:
        """The window closes on purpose: nothing to recover; a new visit never saved goes."""
        editor = self.editor
        self.timer.stop()
        discard_recovery(editor.database, editor.visit.id)
        editor.tasks.wait()
        if editor.created_unsaved:  # "New visit", then closed without saving: take it back
            discard_empty_draft(editor.database, editor.visit.id, editor.visit.version)
