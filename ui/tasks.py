"""Database work off the GUI thread, with its result delivered back on the GUI thread.

`TaskRunner.run(work, done)` runs `work()` on a pool thread; `done(result)` then runs on
the GUI thread. A failure reaches `failed(message)` instead. Only the latest task of a
given `channel` delivers its result, so a fast typist never sees an older search answer
overwrite a newer one. An unexpected failure is also written, with its traceback, to the
error log (see app/storage/error_log.py). The application waits for running tasks when it quits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal, Slot
from sqlalchemy.exc import DBAPIError

from app.storage.database import explain_driver_error
from models.errors import AliquotError

log = logging.getLogger(__name__)


class _Relay(QObject):
    finished = Signal(int, str, object)  # ticket, channel, result
    crashed = Signal(int, str, str)  # ticket, channel, message


class _Job(QRunnable):
    def __init__(self, relay: _Relay, ticket: int, channel: str, work: Callable[[], Any]):
        super().__init__()
        self.relay, self.ticket, self.channel, self.work = relay, ticket, channel, work

    def run(self) -> None:
        try:
            result = self.work()
        except AliquotError as error:
            self.relay.crashed.emit(self.ticket, self.channel, str(error))
        except DBAPIError as error:  # read-only, damaged, unreachable: said as the command line says it
            log.exception("background task %r failed in the database", self.channel)
            self.relay.crashed.emit(self.ticket, self.channel, explain_driver_error("The database", error))
        except Exception as error:  # shown to the user, never swallowed
            log.exception("background task %r failed", self.channel)
            self.relay.crashed.emit(self.ticket, self.channel, f"{type(error).__name__}: {error}")
        else:
            self.relay.finished.emit(self.ticket, self.channel, result)


class TaskRunner(QObject):
    failed = Signal(str)
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
        self._callbacks: dict[int, Callable[[Any], None]] = {}
        # A task still running at the quit (a save, an import) ends before exec() returns:
        # no pool thread may run Python code while the interpreter shuts down.
        application = QCoreApplication.instance()
        if application is not None:
            application.aboutToQuit.connect(self.wait)

    def run(self, channel: str, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self._tickets += 1
        self._latest[channel] = self._tickets
        self._callbacks[self._tickets] = done
        if len(self._callbacks) == 1:
            self.busy_changed.emit(True)
        self._pool.start(_Job(self._relay, self._tickets, channel, work))

    def is_idle(self) -> bool:
        return not self._callbacks

    def wait(self) -> None:
        """Block until every task ends (closing a window, quitting)."""
        self._pool.waitForDone()

    def _settle(self, ticket: int) -> Callable[[Any], None] | None:
        done = self._callbacks.pop(ticket, None)
        if not self._callbacks:
            self.busy_changed.emit(False)
        return done

    @Slot(int, str, object)
    def _finished(self, ticket: int, channel: str, result: Any) -> None:
        done = self._settle(ticket)
        if done is not None and self._latest.get(channel) == ticket:
            done(result)

    @Slot(int, str, str)
    def _crashed(self, ticket: int, channel: str, message: str) -> None:
        self._settle(ticket)
        if self._latest.get(channel) == ticket:
            self.failed.emit(message)
