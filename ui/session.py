"""Who works at the window, and the lock.

`IdleWatch` restarts its timer on every key press, click, mouse move or wheel anywhere in
the application (an application-wide event filter); when the timer runs out the window
locks. `WorkSession` locks: every open window is hidden (nothing is closed, so a visit
editor keeps its unsaved chart exactly as it was) and the sign-in dialog asks for the
password again. The same user unlocks; another user may sign in instead (a switch of
user), unless a visit editor holds unsaved changes: those are the signed-in user's, so
only they may unlock until they save or close them. "Switch user…" signs the user out
first, and is refused while unsaved changes are open.

A clinic without user accounts has nobody signed in, no lock and no switch of user."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from app.services.settings import load_signing_settings
from app.services.users import demo_sign_in_hint, sign_out
from app.storage.database import Database
from models.accounts import IDLE_LOCK_MINUTES, SignedInUser
from ui.sign_in import SignInDialog
from ui.tasks import TaskRunner
from ui.visit_saving import Timer, TimerSource

_INPUT = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


def idle_timer(parent: QObject) -> QTimer:
    return QTimer(parent, singleShot=True, interval=IDLE_LOCK_MINUTES * 60_000)


class IdleWatch(QObject):
    """`idle` after the timer's interval without keyboard or mouse input (while armed)."""

    idle = Signal()

    def __init__(self, parent: QObject, timer: TimerSource | None = None):
        super().__init__(parent)
        if timer is None:
            self.timer: Timer = idle_timer(self)
        elif hasattr(timer, "start"):
            self.timer = timer  # type: ignore[assignment]
        else:
            self.timer = timer()  # type: ignore[operator]
        self.timer.timeout.connect(self.idle)

    def set_minutes(self, minutes: int) -> None:
        if isinstance(self.timer, QTimer):
            self.timer.setInterval(minutes * 60_000)

    def arm(self) -> None:
        """Count from now, and again from every input (only then is every event looked at)."""
        application = QApplication.instance()
        if application is not None:
            application.installEventFilter(self)
        self.timer.start()

    def disarm(self) -> None:
        application = QApplication.instance()
        if application is not None:
            application.removeEventFilter(self)
        self.timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT and self.timer.isActive():
            self.timer.start()  # counted again from this input
        return False


class WorkSession(QObject):
    """The signed-in user of one main window, its lock and its switch of user."""

    user_changed = Signal(object)  # SignedInUser | None
    locked_changed = Signal(bool)

    def __init__(
        self,
        database: Database,
        tasks: TaskRunner,
        parent: QObject,
        unsaved_editors: Callable[[], list],
        workstation_actor: str | None = None,
        idle: TimerSource | None = None,
        ticker: Timer | Callable[[QWidget], Timer] | None = None,
    ):
        super().__init__(parent)
        self.database = database
        self.tasks = tasks
        self.unsaved_editors = unsaved_editors
        self.workstation_actor = workstation_actor or database.actor
        self.ticker = ticker
        self.user: SignedInUser | None = database.user
        self.dialog: SignInDialog | None = None
        self.hidden: list[QWidget] = []
        self.idle_minutes = IDLE_LOCK_MINUTES
        self.hint: str | None = None  # a demo clinic's accounts, said at sign-in
        self.watch = IdleWatch(self, idle)
        self.watch.idle.connect(self.idle_lock)
        if self.user is not None:  # accounts: the lock after the clinic's idle time
            self.watch.arm()
            self.tasks.run("signing-settings", partial(load_signing_settings, database), self._settings)
            self.tasks.run("sign-in-hint", partial(demo_sign_in_hint, database), self._hint)

    @property
    def active(self) -> bool:
        """Someone signed in at this window (a clinic with user accounts)."""
        return self.user is not None or self.locked

    @property
    def locked(self) -> bool:
        return self.dialog is not None

    def _settings(self, settings) -> None:  # type: ignore[no-untyped-def]
        self.idle_minutes = settings.idle_lock_minutes
        self.watch.set_minutes(settings.idle_lock_minutes)

    def _hint(self, hint: str | None) -> None:
        self.hint = hint

    def idle_lock(self) -> None:
        """The idle time ran out. A dialog waiting for an answer is left alone; the
        watch counts again from now."""
        if QApplication.activeModalWidget() is not None:
            self.watch.arm()
            return
        self.lock()

    def lock(self) -> None:
        """Hide every window and ask for the password again."""
        if self.locked or self.user is None:
            return
        unsaved = self.unsaved_editors()
        note = f"Locked: {self.user.shown} was working here. Type the password to unlock."
        if unsaved:
            note += (
                f"\n\n{len(unsaved)} open visit{'s hold' if len(unsaved) > 1 else ' holds'} unsaved"
                f" changes by {self.user.username}: only {self.user.username} can unlock until they"
                " are saved."
            )
        else:
            note += " Someone else may sign in instead."
        self._cover(self.user.username, fixed=bool(unsaved), note=note)

    def switch_user(self) -> str | None:
        """Sign the user out and ask who works now; the reason when it cannot be done."""
        if self.locked or self.user is None:
            return None
        unsaved = self.unsaved_editors()
        if unsaved:
            return (
                f"Save or close the open visit{'s' if len(unsaved) > 1 else ''} first: the unsaved"
                f" changes are {self.user.username}'s."
            )
        self._cover("", fixed=False, note="Signed out. Who is working now?")
        self.tasks.run(
            "sign-out", partial(sign_out, self.database, self.workstation_actor), lambda _none: None
        )
        return None

    def _cover(self, username: str, fixed: bool, note: str) -> None:
        self.watch.disarm()
        self.hidden = [
            widget
            for widget in QApplication.topLevelWidgets()
            if widget.isVisible() and widget.windowType() in (Qt.WindowType.Window, Qt.WindowType.Dialog)
        ]
        for widget in self.hidden:
            widget.hide()
        self.dialog = SignInDialog(
            self.database,
            self.tasks,
            self.hint,
            None,
            username=username,
            fixed_user=fixed,
            note=note,
            locking=True,
            ticker=self.ticker,
        )
        self.dialog.signed_in.connect(self._unlocked)
        self.locked_changed.emit(True)
        self.dialog.open()

    def _unlocked(self, user: SignedInUser) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.deleteLater()
        changed = self.user is None or user.id != self.user.id
        self.user = user
        hidden, self.hidden = self.hidden, []
        for widget in hidden:
            widget.show()
        self.watch.arm()
        self.locked_changed.emit(False)
        if changed:
            self.user_changed.emit(user)
