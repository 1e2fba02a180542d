"""Database, Pillow and PDF work off the GUI thread, with its result delivered back on the
GUI thread; and the one signal from which every window learns what changed.

One `TaskRunner` serves the whole application (made in ui/application.py and handed to each
window). `run(channel, work, done)` runs `work()` on a pool thread; `done(result)` then runs
on the GUI thread. Only the latest task of a given `channel` delivers its result, so a fast
typist never sees an older search answer overwrite a newer one. A window that may close
before its task ends names itself as the `owner`: nothing is delivered to a deleted window.

Failures: a refusal (`AliquotError`: "already exists", "too long") goes to the task's own
`refused` callback when it has one, so the window says it beside the form. Anything else (a
database driver error, said in plain words, or a bug) is written with its traceback to the
error log (app/storage/error_log.py) and reaches `failed(message)`, the one signal the
application's handler turns into a message to the user. No failure is dropped silently.

After work that changed records, `announce(Changes)` emits `changed` once; windows redraw
from it instead of refreshing by hand. The application waits for running tasks when it quits.

Python's collector of reference cycles runs on whichever thread happens to allocate past its
threshold: on a pool thread it would free widgets there, and Qt aborts. The first runner
therefore moves that collection to the GUI thread (`GuiThreadCollector`).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from app.services.changes import Changes
from models.errors import AliquotError

log = logging.getLogger(__name__)


class _Relay(QObject):
    finished = Signal(int, str, object)  # ticket, channel, result
    crashed = Signal(int, str, str, bool)  # ticket, channel, message, expected (a refusal)


class _Job(QRunnable):
    def __init__(self, relay: _Relay, ticket: int, channel: str, work: Callable[[], Any]):
        super().__init__()
        self.relay, self.ticket, self.channel, self.work = relay, ticket, channel, work

    def run(self) -> None:
        try:
            result = self.work()
        except AliquotError as error:
            self.relay.crashed.emit(self.ticket, self.channel, str(error), True)
        except Exception as error:  # written to the error log and shown, never swallowed
            self.relay.crashed.emit(self.ticket, self.channel, describe_failure(self.channel, error), False)
        else:
            self.relay.finished.emit(self.ticket, self.channel, result)


def describe_failure(channel: str, error: Exception) -> str:
    """Log the failure with its traceback (call inside the `except`); the words for the user."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(error, DBAPIError):  # read-only, damaged, unreachable: said as the command line says it
        from app.storage.database import explain_driver_error

        log.exception("background task %r failed in the database", channel)
        return explain_driver_error("The database", error)
    log.exception("background task %r failed", channel)
    return f"{type(error).__name__}: {error}"


@dataclass
class _Pending:
    done: Callable[[Any], None]
    refused: Callable[[str], None] | None
    ended: Callable[[], None] | None
    owner: QObject | None
    failed: Callable[[str], None] | None = None


class GuiThreadCollector(QObject):
    """Python's automatic cycle collection switched off, and the same thresholds checked
    on the GUI thread from a timer instead: a widget caught in a cycle is then always freed
    on the thread that owns it. One per application (`install`), for its whole life."""

    INTERVAL_MS = 500

    def __init__(self, application: QCoreApplication):
        super().__init__(application)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start(self.INTERVAL_MS)

    @classmethod
    def install(cls) -> None:
        application = QCoreApplication.instance()
        if application is not None and application.findChild(cls) is None:
            cls(application)

    def collect_due(self) -> None:
        """Collect the generations whose threshold is passed, as Python itself would."""
        counts = gc.get_count()
        if counts[0] > self.thresholds[0]:
            gc.collect(0)
            if counts[1] > self.thresholds[1]:
                gc.collect(1)
                if counts[2] > self.thresholds[2]:
                    gc.collect(2)


class TaskRunner(QObject):
    failed = Signal(str)
    """A task failed and had no handler of its own for it: the user is to be told."""
    changed = Signal(object)
    """A `Changes` value: what the work just done changed (see `announce`)."""
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._finished)
        self._relay.crashed.connect(self._crashed)
        self._tickets = 0
        self._latest: dict[str, int] = {}
        self._pending: dict[int, _Pending] = {}
        # A task still running at the quit (a save, an import) ends before exec() returns:
        # no pool thread may run Python code while the interpreter shuts down.
        application = QCoreApplication.instance()
        if application is not None:
            application.aboutToQuit.connect(self.wait)
        GuiThreadCollector.install()

    def run(
        self,
        channel: str,
        work: Callable[[], Any],
        done: Callable[[Any], None],
        refused: Callable[[str], None] | None = None,
        owner: QObject | None = None,
        ended: Callable[[], None] | None = None,
        failed: Callable[[str], None] | None = None,
    ) -> None:
        """`work()` on a pool thread, then `done(result)` on this one. A refusal
        (`AliquotError`) goes to `refused(message)` when given, any other failure to the
        `failed` signal (the one handler) and also to this task's own `failed(message)`, so
        the window that asked can undo its waiting state. `ended()` runs first however the
        task ends (a window leaves its busy state there). Nothing reaches an `owner` that was
        deleted meanwhile."""
        self._tickets += 1
        self._latest[channel] = self._tickets
        self._pending[self._tickets] = _Pending(done, refused, ended, owner, failed)
        if len(self._pending) == 1:
            self.busy_changed.emit(True)
        self._pool.start(_Job(self._relay, self._tickets, channel, work))

    def announce(self, changes: Changes) -> None:
        """Tell every window what changed (once, on the GUI thread); nothing is said of nothing."""
        if changes:
            self.changed.emit(changes)

    def is_idle(self) -> bool:
        return not self._pending

    def wait(self) -> None:
        """Block until every task ends (closing a window, quitting)."""
        self._pool.waitForDone()

    def _settle(self, ticket: int, channel: str) -> _Pending | None:
        pending = self._pending.pop(ticket, None)
        if not self._pending:
            self.busy_changed.emit(False)
        if pending is None or (pending.owner is not None and not shiboken6.isValid(pending.owner)):
            return None
        if pending.ended is not None:
            pending.ended()
        return pending if self._latest.get(channel) == ticket else None

    @Slot(int, str, object)
    def _finished(self, ticket: int, channel: str, result: Any) -> None:
        pending = self._settle(ticket, channel)
        if pending is not None:
            pending.done(result)

    @Slot(int, str, str, bool)
    def _crashed(self, ticket: int, channel: str, message: str, expected: bool) -> None:
        pending = self._settle(ticket, channel)
        if expected and pending is not None and pending.refused is not None:
            pending.refused(message)  # said beside the form that asked
        elif not expected or pending is not None:
            if pending is not None and pending.failed is not None:
                pending.failed(message)
            self.failed.emit(message)  # the one handler; a superseded refusal is nobody's news
