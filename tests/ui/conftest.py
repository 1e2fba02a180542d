import pytest

from app.demo import DEMO_PASSWORD, generate_demo
from app.services.users import sign_in
from tests.app.test_demo import AS_OF

PRESCRIBER = "marcus"  # the demo clinic's prescriber: charts every injector's visits


@pytest.fixture
def demo_db(db):
    """A demo clinic (it has user accounts), its prescriber signed in: the window is
    used as a clinician uses it once signed in."""
    generate_demo(db, patients=30, seed=11, as_of=AS_OF, users=True)
    sign_in(db, PRESCRIBER, DEMO_PASSWORD)
    return db


def signed_in_as(db, username: str):
    """Another of the demo clinic's users at the window."""
    return sign_in(db, username, DEMO_PASSWORD)


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """A test never blocks on a real dialog: closing an edited visit discards it."""
    from ui.visit_editor import VisitEditor

    monkeypatch.setattr(VisitEditor, "ask_discard", classmethod(lambda cls, parent: True))
    monkeypatch.setattr(VisitEditor, "ask_save_without_lots", classmethod(lambda cls, parent, count: True))
    monkeypatch.setattr(
        VisitEditor, "ask_warning_reason", classmethod(lambda cls, parent, warnings: "reason given in a test")
    )
    from ui.record_preview import RecordPreview

    monkeypatch.setattr(RecordPreview, "ask_printer", classmethod(lambda cls, parent: None))
    monkeypatch.setattr(RecordPreview, "ask_save_path", classmethod(lambda cls, parent, name: None))


@pytest.fixture(autouse=True)
def private_recovery_dir(tmp_path, monkeypatch):
    """Recovery files of the tests never mix with the user's own."""
    monkeypatch.setattr("app.storage.autosave.recovery_dir", lambda: tmp_path / "recovery")
    return tmp_path / "recovery"


@pytest.fixture(autouse=True)
def fail_on_real_dialogs(monkeypatch):
    """Any real modal dialog would block the headless run: make it fail the test instead."""
    from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox

    def blocked(*_args, **_kwargs):
        raise AssertionError("a real modal dialog was opened in a test")

    for owner, name in (
        (QMessageBox, "question"),
        (QMessageBox, "warning"),
        (QMessageBox, "critical"),
        (QMessageBox, "information"),
        (QDialog, "exec"),
        (QInputDialog, "getText"),
        (QInputDialog, "getMultiLineText"),
        (QFileDialog, "getOpenFileName"),
        (QFileDialog, "getOpenFileNames"),
        (QFileDialog, "getExistingDirectory"),
        (QFileDialog, "getSaveFileName"),
    ):
        monkeypatch.setattr(owner, name, blocked)


@pytest.fixture(autouse=True)
def private_workstation_settings(tmp_path, monkeypatch):
    """This workstation's settings (the watched photo folder) in a file of the test's own."""
    from PySide6.QtCore import QSettings

    store = QSettings(str(tmp_path / "workstation.ini"), QSettings.Format.IniFormat)
    monkeypatch.setattr("ui.workstation_settings.default_store", lambda: store)
    return store
