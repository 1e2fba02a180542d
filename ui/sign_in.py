"""Signing in: who works at this window. Asked at start when the clinic has user accounts,
and again when the window is locked (by hand, or after the idle time) or the user switches.

The password is checked by the service (app/services/users.py) on the task runner's thread.
A refusal is said in words under the fields; after a wrong password the Sign-in button
stays disabled for the wait the service asks for (1, 2, 4 … 60 s), counted down by a
one-second timer (a test gives its own timer and fires it by hand)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.services.users import sign_in
from app.storage.database import Database
from models.accounts import SignedInUser
from models.errors import SignInRefused
from ui.tasks import TaskRunner
from ui.visit_saving import Timer

REFUSAL_STYLE = "color: #b00020; font-weight: 600"
HINT_STYLE = "background: #eef4fb; color: #17375e; padding: 6px; border: 1px solid #b9cde5"


def attempt_sign_in(database: Database, username: str, password: str) -> SignedInUser | SignInRefused:
    """The service's answer as a value: a refusal carries the wait the next try needs."""
    try:
        return sign_in(database, username, password)
    except SignInRefused as refusal:
        return refusal


def countdown_timer(parent: QWidget) -> QTimer:
    return QTimer(parent, singleShot=True, interval=1000)


class SignInDialog(QDialog):
    """User name and password. `signed_in(SignedInUser)` once the service accepts them.

    `locking`: the window is locked behind this dialog: it cannot be cancelled (the open
    windows' unsaved work waits for the user). `fixed_user`: only that user may sign in
    (their unsaved work is open)."""

    signed_in = Signal(object)

    def __init__(
        self,
        database: Database,
        tasks: TaskRunner,
        hint: str | None = None,
        parent: QWidget | None = None,
        username: str = "",
        fixed_user: bool = False,
        note: str = "",
        locking: bool = False,
        ticker: Timer | Callable[[QWidget], Timer] | None = None,
    ):
        super().__init__(parent)
        self.database = database
        self.tasks = tasks
        self.locking = locking
        self.user: SignedInUser | None = None
        self.remaining = 0  # seconds before the next try
        self.setWindowTitle(f"{'Unlock' if locking else 'Sign in'} — Aliquot — {database.name}")
        self.setMinimumWidth(420)
        if ticker is None:
            self.ticker: Timer = countdown_timer(self)
        elif hasattr(ticker, "start"):
            self.ticker = ticker  # type: ignore[assignment]
        else:
            self.ticker = ticker(self)  # type: ignore[operator]
        self.ticker.timeout.connect(self._tick)

        layout = QVBoxLayout(self)
        self.note = QLabel(note or "Who is working? Sign in with your user name and password.")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.hint = QLabel(hint or "")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet(HINT_STYLE)
        self.hint.setVisible(bool(hint))
        layout.addWidget(self.hint)
        form = QFormLayout()
        self.username = QLineEdit(username)
        self.username.setAccessibleName("User name")
        self.username.setReadOnly(fixed_user)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        form.addRow("&User name:", self.username)
        form.addRow("&Password:", self.password)
        layout.addLayout(form)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(REFUSAL_STYLE)
        self.message.setAccessibleName("Sign-in message")
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox()
        self.sign_in_button = QPushButton("Unlock" if locking else "Sign in")
        self.sign_in_button.setDefault(True)
        self.buttons.addButton(self.sign_in_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button: QPushButton | None = None
        if not locking:
            self.cancel_button = self.buttons.addButton("Quit", QDialogButtonBox.ButtonRole.RejectRole)
            self.cancel_button.clicked.connect(self.reject)
        self.sign_in_button.clicked.connect(self.try_sign_in)
        layout.addWidget(self.buttons)
        (self.password if username else self.username).setFocus()

    @property
    def button_text(self) -> str:
        return "Unlock" if self.locking else "Sign in"

    def try_sign_in(self) -> None:
        if not self.sign_in_button.isEnabled():
            return
        name = self.username.text().strip()
        if not name:
            self.message.setText("Type your user name.")
            self.username.setFocus()
            return
        self.sign_in_button.setEnabled(False)
        self.message.setText("Checking…")
        self.tasks.run(
            "sign-in",
            partial(attempt_sign_in, self.database, name, self.password.text()),
            self._answered,
            refused=self._failed,
            owner=self,
            failed=self._failed,
        )

    def _answered(self, answer: SignedInUser | SignInRefused) -> None:
        if isinstance(answer, SignInRefused):
            self.password.clear()
            self.password.setFocus()
            self.message.setText(f"Not signed in: {answer}.")
            self._wait(answer.wait_seconds)
            return
        self.user = answer
        self.message.clear()
        self.signed_in.emit(answer)
        self.accept()

    def _failed(self, message: str) -> None:
        self.message.setText(f"Not signed in: {message}")
        self.sign_in_button.setEnabled(True)

    def _wait(self, seconds: int) -> None:
        self.remaining = max(0, seconds)
        self._show_wait()
        if self.remaining:
            self.ticker.start()

    def _tick(self) -> None:
        self.remaining = max(0, self.remaining - 1)
        self._show_wait()
        if self.remaining:
            self.ticker.start()

    def _show_wait(self) -> None:
        waiting = self.remaining > 0
        self.sign_in_button.setEnabled(not waiting)
        self.sign_in_button.setText(
            f"{self.button_text} ({self.remaining} s)" if waiting else self.button_text
        )

    def reject(self) -> None:
        """Escape: a locked window stays locked (its unsaved work waits for its user)."""
        if not self.locking:
            super().reject()

    @classmethod
    def ask(cls, database: Database, tasks: TaskRunner, hint: str | None) -> SignedInUser | None:
        """At start: who works here; None when the user quits. Tests replace this."""
        dialog = cls(database, tasks, hint)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        dialog.deleteLater()
        return dialog.user if accepted else None


def sign_in_at_start(
    database: Database, tasks: TaskRunner, ask: Callable[..., SignedInUser | None] | None = None
) -> bool:
    """Before the main window opens: a clinic with user accounts asks who is working
    (False: they quit); a clinic without accounts opens as before, and so does one whose
    user signed in on the command line."""
    from app.services.users import clinic_has_users, demo_sign_in_hint

    if database.user is not None or not clinic_has_users(database):
        return True  # signed in already (`aliquot --user NAME`), or no accounts
    ask = ask or SignInDialog.ask
    return ask(database, tasks, demo_sign_in_hint(database)) is not None
