"""An exception no slot caught is shown to the user and written to the error log in the
user's log folder (here a temporary one), never only printed on a terminal nobody reads."""

from __future__ import annotations

import stat
import sys
import threading

import pytest
import shiboken6
from PySide6.QtWidgets import QApplication, QPushButton

from app.storage import error_log
from app.storage.error_log import LOG_NAME, close_error_log, default_log_dir, open_error_log
from ui.application import ErrorReporter, report_errors
from ui.tasks import TaskRunner

POSIX = sys.platform != "win32"


@pytest.fixture
def log_dir(tmp_path, monkeypatch):
    """The user's log folder, in the test's own temporary folder."""
    folder = tmp_path / "state" / "Aliquot" / "log"
    monkeypatch.setattr(error_log, "default_log_dir", lambda: folder)
    yield folder
    close_error_log()


@pytest.fixture
def told(monkeypatch):
    """What the user would have read in the message box."""
    messages = []
    monkeypatch.setattr(
        ErrorReporter, "tell", classmethod(lambda cls, title, text: messages.append((title, text)))
    )
    return messages


@pytest.fixture
def reporting(monkeypatch, log_dir, told):
    """The window's error reporting, as ui.application.run installs it."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    return report_errors()


def pen_ran_dry() -> None:
    raise ValueError("the pen ran dry")


@pytest.mark.qt_no_exception_capture
def test_a_slot_that_raises_is_written_to_the_log_and_shown(qtbot, reporting, log_dir, told):
    button = QPushButton("Place")
    qtbot.addWidget(button)
    button.clicked.connect(pen_ran_dry)
    button.click()

    [(title, text)] = told
    assert title == "Something went wrong"
    assert "ValueError: the pen ran dry" in text
    assert str(log_dir / LOG_NAME) in text  # the user can tell support where to look
    logged = (log_dir / LOG_NAME).read_text(encoding="utf-8")
    assert "ERROR ui.application: unexpected error" in logged
    assert "Traceback (most recent call last)" in logged
    assert "in pen_ran_dry" in logged and "ValueError: the pen ran dry" in logged


@pytest.mark.qt_no_exception_capture
def test_an_error_while_the_message_is_open_is_logged_without_a_second_message(
    qtbot, monkeypatch, reporting, log_dir
):
    """The message box runs an event loop: a slot failing again meanwhile must not open a
    cascade of boxes."""
    told = []

    def tell(cls, title, text):
        told.append(text)
        if len(told) == 1:
            button.click()  # fails again while the first message is "open"

    monkeypatch.setattr(ErrorReporter, "tell", classmethod(tell))
    button = QPushButton("Place")
    qtbot.addWidget(button)
    button.clicked.connect(pen_ran_dry)
    button.click()

    assert len(told) == 1
    assert (log_dir / LOG_NAME).read_text(encoding="utf-8").count("ValueError: the pen ran dry") == 2


def test_a_background_task_that_fails_unexpectedly_goes_to_the_same_log(qtbot, reporting, log_dir):
    runner = TaskRunner()

    def list_products_fails():
        raise RuntimeError("catalogue table is missing")

    with qtbot.waitSignal(runner.failed) as failure:
        runner.run("catalogue", list_products_fails, lambda _result: None)
    runner.wait()
    assert failure.args == ["RuntimeError: catalogue table is missing"]
    logged = (log_dir / LOG_NAME).read_text(encoding="utf-8")
    assert "ERROR ui.tasks: background task 'catalogue' failed" in logged
    assert "in list_products_fails" in logged


def test_a_database_refusal_in_a_task_is_said_plainly(qtbot, reporting, log_dir, tmp_path):
    """A change on a read-only database reads as the command line says it, not as a driver's
    error text."""
    import sqlite3

    from sqlalchemy import text

    from models.database import make_engine

    path = tmp_path / "clinic.db"
    sqlite3.connect(path).execute("create table t (x)").connection.close()
    engine = make_engine(f"sqlite:///{path}?mode=ro")
    runner = TaskRunner()

    def write():
        with engine.begin() as connection:
            connection.execute(text("insert into t values (1)"))

    with qtbot.waitSignal(runner.failed) as failure:
        runner.run("save", write, lambda _result: None)
    runner.wait()
    engine.dispose()
    assert failure.args == [
        "The database is read-only: nothing was changed; check the permissions of the file and its folder"
    ]
    assert "background task 'save' failed in the database" in (log_dir / LOG_NAME).read_text(encoding="utf-8")


@pytest.mark.skipif(not POSIX, reason="owner-only modes are a POSIX matter")
def test_the_log_is_readable_by_its_owner_only(tmp_path):
    folder = tmp_path / "log"
    folder.mkdir(mode=0o755)
    (folder / LOG_NAME).write_text("from an older version\n")
    (folder / LOG_NAME).chmod(0o644)
    try:
        path = open_error_log(folder)
    finally:
        close_error_log()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "from an older version\n"  # appended to, never emptied


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG folders are Linux's")
def test_the_log_lives_in_the_users_log_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert default_log_dir() == tmp_path / "state" / "Aliquot" / "log"


@pytest.mark.qt_no_exception_capture
def test_without_a_log_folder_the_window_still_starts_and_tells(qtbot, monkeypatch, tmp_path, told):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setattr(error_log, "default_log_dir", lambda: blocked / "log")
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    report_errors()
    button = QPushButton("Place")
    qtbot.addWidget(button)
    button.clicked.connect(pen_ran_dry)
    button.click()
    [(_title, text)] = told
    assert "ValueError: the pen ran dry" in text and "could not be written to a log file" in text


def test_a_failing_task_is_logged_and_told_once_by_the_one_handler(qtbot, reporting, log_dir, told):
    """As ui.application.run wires it: the shared runner's failures reach the reporter."""
    runner = TaskRunner()
    runner.failed.connect(reporting.task_failed)
    delivered, ended = [], []

    def draw_chart_image():
        raise OSError("no space left on the disk")

    runner.run("chart-image", draw_chart_image, delivered.append, ended=lambda: ended.append(True))
    qtbot.waitUntil(runner.is_idle)
    assert delivered == [] and ended == [True]  # the window left its busy state
    [(title, text)] = told
    assert title == "Not done" and text.startswith("OSError: no space left on the disk")
    assert str(log_dir / LOG_NAME) in text
    logged = (log_dir / LOG_NAME).read_text(encoding="utf-8")
    assert "background task 'chart-image' failed" in logged
    assert "Traceback (most recent call last)" in logged and "in draw_chart_image" in logged


def test_a_refusal_is_said_by_the_window_that_asked_not_logged(qtbot, reporting, log_dir, told):
    from models.errors import ValidationError

    runner = TaskRunner()
    runner.failed.connect(reporting.task_failed)
    refused = []

    def save_clinic():
        raise ValidationError("the clinic name is too long", "name")

    runner.run("save", save_clinic, lambda _result: None, refused=refused.append)
    qtbot.waitUntil(runner.is_idle)
    assert refused == ["the clinic name is too long"] and told == []
    assert "too long" not in (
        (log_dir / LOG_NAME).read_text(encoding="utf-8") if (log_dir / LOG_NAME).exists() else ""
    )


def test_nothing_is_delivered_to_a_window_closed_meanwhile(qtbot):
    from PySide6.QtWidgets import QWidget

    runner = TaskRunner()
    window = QWidget()
    release = threading.Event()
    delivered = []
    runner.run("load", lambda: release.wait(5), delivered.append, owner=window)
    window.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(window))
    release.set()
    qtbot.waitUntil(runner.is_idle)
    assert delivered == []
    runner.run("load", lambda: "answer", delivered.append)  # the runner itself goes on
    qtbot.waitUntil(runner.is_idle)
    assert delivered == ["answer"]


def test_the_application_waits_for_running_tasks_before_it_exits(qtbot):
    runner = TaskRunner()
    started, release, finished = threading.Event(), threading.Event(), []

    def save_visit():
        started.set()
        release.wait(5)
        finished.append(sum(range(2_000_000)))  # still working when the quit begins

    runner.run("save", save_visit, lambda _result: None)
    assert started.wait(5)
    release.set()
    QApplication.instance().aboutToQuit.emit()  # what QApplication.quit() says before exec() returns
    assert finished == [sum(range(2_000_000))]


def test_a_change_is_announced_once_and_nothing_is_not(qtbot):
    from app.services.changes import NOTHING, Changes

    runner = TaskRunner()
    heard = []
    runner.changed.connect(heard.append)
    runner.announce(NOTHING)
    runner.announce(Changes.of_patients(7))
    assert heard == [Changes.of_patients(7)]


def test_reference_cycles_are_freed_on_the_gui_thread_never_a_pool_thread(qtbot):
    """A widget freed on a pool thread aborts the program: Python's cycle collection, which
    runs on whichever thread allocates past its threshold, is moved to the GUI thread."""
    import gc

    from ui.tasks import GuiThreadCollector

    runner = TaskRunner()
    assert not gc.isenabled() and QApplication.instance().findChild(GuiThreadCollector) is not None
    freed_on_gui_thread: list[bool] = []

    class Cycle:
        def __init__(self) -> None:
            self.itself = self

        def __del__(self) -> None:
            freed_on_gui_thread.append(threading.current_thread() is threading.main_thread())

    def allocate_in_cycles() -> int:  # far past the collector's first threshold, on a pool thread
        for _ in range(20):
            Cycle()
        kept = [[i] for i in range(50_000)]
        return len(kept)

    gc.collect()
    runner.run("cycles", allocate_in_cycles, lambda _n: None)
    qtbot.waitUntil(runner.is_idle, timeout=10_000)
    assert all(freed_on_gui_thread), "nothing is collected on the pool thread"
    kept_here = [[i] for i in range(5_000)]  # the GUI thread past the threshold: the timer collects
    qtbot.waitUntil(lambda: len(freed_on_gui_thread) == 20, timeout=5_000)
    assert all(freed_on_gui_thread) and len(kept_here) == 5_000
