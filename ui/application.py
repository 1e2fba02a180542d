from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

import resources
from app.storage.config import current_actor
from app.storage.database import Database
from app.storage.error_log import open_error_log
from ui.fonts import register_bundled_fonts
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)


class ErrorReporter:
    """sys.excepthook of the window: an exception no slot caught (Qt calls this hook for
    an exception raised in a slot or an event handler) is written with its traceback to
    the error log, and the user is told in a message that names the log file."""

    def __init__(self, log_path: Path | None):
        self.log_path = log_path  # None: the log folder could not be made
        self._telling = False

    @classmethod
    def tell(cls, title: str, message: str) -> None:
        """Tests replace this."""
        QMessageBox.critical(QApplication.activeWindow(), title, message)

    def __call__(self, kind, error, trace) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        log.error("unexpected error", exc_info=(kind, error, trace))
        # An error raised while the message is open (its event loop runs other slots) is
        # logged only: one message at a time, never a cascade of them.
        if self._telling or QApplication.instance() is None:
            return
        self._telling = True
        try:
            where = self._where()
            self.tell(
                "Something went wrong",
                f"Aliquot met an unexpected error: what you just did may not have been done;"
                f" please check it.\n\n{kind.__name__}: {error}\n\n{where}",
            )
        finally:
            self._telling = False

    def task_failed(self, message: str) -> None:
        """The one handler of the task runner's failures: the traceback, if any, is already in
        the error log (ui/tasks.py writes it); the user is told once, in a message."""
        if self._telling:
            log.warning("not shown, a message is already open: %s", message)
            return
        self._telling = True
        try:
            self.tell("Not done", f"{message}\n\n{self._where()}")
        finally:
            self._telling = False

    def _where(self) -> str:
        return (
            f"The details are in {self.log_path}: send that file to your support contact."
            if self.log_path
            else "The details could not be written to a log file."
        )


def report_errors() -> ErrorReporter:
    """Route every unexpected error of the window to the error log and a message."""
    try:
        log_path = open_error_log()
    except OSError as error:  # a read-only home folder must not keep the clinic out
        log.warning("no error log: %s", error)
        log_path = None
    reporter = ErrorReporter(log_path)
    sys.excepthook = reporter
    return reporter


def run(database: Database, argv: list[str]) -> int:
    application = QApplication.instance() or QApplication(argv)
    application.setApplicationName("Aliquot")
    application.setWindowIcon(QIcon(str(resources.path("icon.svg"))))
    register_bundled_fonts()  # names in any script drawn, whatever fonts the workstation has
    reporter = report_errors()
    # One runner for the whole application: every window runs its work on it, learns from its
    # `changed` signal what to redraw, and its failures reach the one handler.
    tasks = TaskRunner(application)
    tasks.failed.connect(reporter.task_failed)
    from ui.main_window import MainWindow
    from ui.sign_in import sign_in_at_start

    # who acts while nobody is signed in (after a sign-out): the workstation's own user
    workstation = database.actor if database.user is None else current_actor()
    if not sign_in_at_start(database, tasks):
        tasks.wait()
        return 0  # quit at the sign-in
    window = MainWindow(database, tasks=tasks, workstation_actor=workstation)
    window.show()
    if os.environ.get("ALIQUOT_QUIT_WHEN_PAINTED"):
        _quit_when_painted(application, window)  # installer smoke test and start-up timing
    try:
        return application.exec()
    finally:
        tasks.wait()  # a save or an import under way ends before the process does


def _quit_when_painted(application: QApplication, window) -> None:
    """Print "painted" and quit once the patient list has loaded and the window drawn."""

    def check() -> None:
        if window.patient_model.rowCount() and window.tasks.is_idle():
            window.grab()
            print("painted", flush=True)
            application.quit()
        else:
            QTimer.singleShot(10, check)

    QTimer.singleShot(0, check)
