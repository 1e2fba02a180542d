"""Signing a visit from its editor, and amending a signed one.

"Sign…" saves the chart first when it holds unsaved changes, then asks the service what
keeps the visit from being signed: anything missing is listed in a panel above the chart
(never a dialog in the way), and nothing changes. A complete visit is signed after one
confirmation; the editor then shows it signed and read-only, with the signature.

"Amend…" asks why (a small dialog), makes the amendment draft (a copy of the signed visit
that names it and the reason) and has it opened in an editor of its own; the signed visit
stays open, read-only, as it was."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, tzinfo
from functools import partial
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.services.signing import AmendmentNote, amendment_trail, sign_visit, signing_check, start_amendment
from app.services.visits import OpenedVisit, SavedVisit, open_visit
from app.storage.database import Database
from models.accounts import Permission
from models.records import VisitRecord
from models.vocabulary import Role, VisitStatus

if TYPE_CHECKING:
    from ui.visit_editor import VisitEditor

HASH_SHOWN = 12  # hex digits of the content hash shown beside a signature
MISSING_STYLE = "QLabel {background: #fdecea; color: #5f0010; border: 1px solid #b00020; padding: 4px 8px}"
SIGNED_STYLE = "QLabel {background: #e8f5e9; color: #1b3d1f; border: 1px solid #6a9f6e; padding: 4px 8px}"
TRAIL_STYLE = "QLabel {background: #f3f0fa; color: #2d2150; border: 1px solid #9e92c4; padding: 4px 8px}"


def _moment(moment: datetime, zone: tzinfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def signature_text(visit: VisitRecord, zone: tzinfo) -> str:
    """The signed visit's seal in words (rich text): who signed and when, its hash, and the
    co-signature."""
    signature = visit.signature
    if signature is None:
        return ""
    lines = [
        f"<b>Signed by {escape(signature.signer.shown)}</b> on {_moment(signature.signed_at, zone)}"
        f" (SHA-256 <tt>{signature.content_hash[:HASH_SHOWN]}…</tt>)"
    ]
    if signature.cosigner is not None and signature.cosigned_at is not None:
        lines.append(
            f"<b>Co-signed by {escape(signature.cosigner.shown)}</b>"
            f" on {_moment(signature.cosigned_at, zone)}"
        )
    return "<br>".join(lines)


def amendment_heading(visit: VisitRecord) -> str:
    """ "Amendment of visit N — reason" (rich text), or nothing for a visit that amends none."""
    if visit.amends_visit_id is None:
        return ""
    reason = escape(" ".join(visit.amendment_reason.split()))
    return f"<b>Amendment of visit {visit.amends_visit_id}</b> — {reason}"


def trail_text(trail: list[AmendmentNote], visit_id: int, zone: tzinfo) -> str:
    """The visit's amendment trail (rich text): what corrected what, why, by whom."""
    lines = []
    for note in trail:
        this = " (this visit)" if note.amendment_id == visit_id else ""
        signed = f" on {_moment(note.signed_at, zone)}" if note.signed_at else ""
        lines.append(
            f"Visit {note.original_id} amended by <b>visit {note.amendment_id}</b>{this}"
            f" — {escape(note.reason)} — {escape(note.by)}{signed}:"
            f" {escape('; '.join(note.changes))}"
        )
    return "<b>Amendment trail</b><br>" + "<br>".join(lines) if lines else ""


def open_amendment(database: Database, visit_id: int, reason: str) -> OpenedVisit:
    """The amendment draft of a signed visit, with what its editor needs. Made for this
    editor: closed without saving, it is removed again."""
    saved = start_amendment(database, visit_id, reason)
    opened = open_visit(database, saved.id)
    return replace(opened, created=True, changes=saved.changes)


class AmendDialog(QDialog):
    """Why the signed visit is corrected (kept with the amendment, printed on its record)."""

    def __init__(self, visit_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Amend visit {visit_id}")
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"Visit {visit_id} is signed: it stays as it is, readable. A copy opens to be"
            " corrected and signed; once signed it is the visit's current record.\n\n"
            "What was wrong, and why is it corrected?"
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.reason_edit = QPlainTextEdit()
        self.reason_edit.setAccessibleName("Reason for the amendment")
        self.reason_edit.setPlaceholderText("e.g. lot number mistyped: C1234 was C1243")
        layout.addWidget(self.reason_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Open the amendment")
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.reason_edit.textChanged.connect(lambda: self.ok_button.setEnabled(bool(self.reason())))
        layout.addWidget(self.buttons)
        self.resize(480, 300)

    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()


class VisitSigning(QObject):
    def __init__(self, editor: VisitEditor):
        super().__init__(editor)
        self.editor = editor
        self._sign_after_save = False
        self.amend_dialog: AmendDialog | None = None
        editor.saving.ended.connect(self._save_ended)

    # ------------------------------------------------------------------ who may

    def may_sign(self) -> bool:
        """A draft of the signed-in injector or prescriber's own (the service says the same)."""
        user = self.editor.database.user
        return (
            user is not None
            and user.may(Permission.SIGN)
            and self.editor.visit.status is VisitStatus.DRAFT
            and user.provider_id == self.editor.document.fields.provider_id
        )

    def may_amend(self) -> bool:
        user = self.editor.database.user
        visit = self.editor.visit
        if visit.status is not VisitStatus.SIGNED or not self.editor.may_chart_visit():
            return False
        return user is None or not (user.role is Role.INJECTOR and user.provider_id != visit.provider_id)

    # ------------------------------------------------------------------ signing

    def say(self, message: str, timeout: int = 15000) -> None:
        self.editor.statusBar().showMessage(message, timeout)

    def sign(self) -> None:
        editor = self.editor
        if editor.locked or editor.saving.saving:
            return
        if editor.is_modified():  # what is signed is what is stored: save first
            self._sign_after_save = True
            editor.save()
            if not editor.saving.saving:  # not saved (it said why): not signed either
                self._sign_after_save = False
            return
        self._check()

    def _save_ended(self, stored: bool) -> None:
        if not self._sign_after_save:
            return
        self._sign_after_save = False
        if stored and not self.editor.is_modified():
            self._check()
        elif stored:
            self.say("Not signed: the chart changed while it was saved. Sign again.")

    def _check(self) -> None:
        self.say("Checking the visit before signing…")
        self.editor.run_task(
            "sign-check",
            partial(signing_check, self.editor.database, self.editor.visit.id),
            self._checked,
            failed=self._refused,
        )

    def _checked(self, missing: list[str]) -> None:
        editor = self.editor
        editor.show_missing(missing)
        if missing:
            self.say(
                f"Not signed: {len(missing)} thing{'s' if len(missing) > 1 else ''} missing (listed above)."
            )
            return
        visit = editor.visit
        when = _moment(visit.started_at, editor.database.timezone)
        question = (
            f"Sign the visit of {when} with {len(visit.points)} injection site"
            f"{'s' if len(visit.points) != 1 else ''}? Once signed it is locked: a correction"
            " is an amendment, kept beside it."
        )
        if not editor.ask_sign(editor, question):
            self.say("Not signed.", 5000)
            return
        self.say("Signing…")
        editor.run_task(
            "sign",
            partial(sign_visit, editor.database, visit.id, visit.version),
            self._signed,
            failed=self._refused,
        )

    def _signed(self, saved: SavedVisit) -> None:
        editor = self.editor
        editor.visit = saved
        editor.created_unsaved = False
        editor.set_locked(True)
        signature = saved.signature
        self.say(f"Signed{f' by {signature.signer.shown}' if signature else ''}: the visit is locked.", 10000)
        announce = getattr(editor.tasks, "announce", None)
        if callable(announce):
            announce(saved.changes)
        editor.saved.emit(saved)

    def _refused(self, message: str) -> None:
        self.say(f"Not signed: {message}", 20000)

    # ------------------------------------------------------------------ amending

    def amend(self) -> None:
        """Ask why (a dialog that does not block), then open the amendment draft."""
        if not self.may_amend():
            return
        dialog = AmendDialog(self.editor.visit.id, self.editor)
        self.amend_dialog = dialog
        dialog.accepted.connect(lambda: self._amend(dialog.reason()))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _amend(self, reason: str) -> None:
        self.amend_dialog = None
        self.say("Opening the amendment…")
        self.editor.run_task(
            "amend",
            partial(open_amendment, self.editor.database, self.editor.visit.id, reason),
            self._amendment_made,
            failed=lambda message: self.say(f"Not amended: {message}", 20000),
        )

    def _amendment_made(self, opened: OpenedVisit) -> None:
        self.say(f"Amendment opened as visit {opened.visit.id}: correct it there, then sign it.", 10000)
        self.editor.editor_wanted.emit(opened)

    def load_trail(self) -> None:
        """The amendment trail of a signed visit or an amendment, shown when there is one."""
        visit = self.editor.visit
        if visit.status is VisitStatus.SIGNED or visit.amends_visit_id is not None:
            self.editor.run_task(
                "trail",
                partial(amendment_trail, self.editor.database, visit.id),
                self._trail_loaded,
            )

    def _trail_loaded(self, trail: list[AmendmentNote]) -> None:
        editor = self.editor
        text = trail_text(trail, editor.visit.id, editor.database.timezone)
        editor.trail_label.setText(text)
        editor.trail_label.setVisible(bool(text))
