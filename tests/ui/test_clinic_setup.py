"""A new clinic sets itself up in the window: injectors, clinic details, the first visit."""

import io
from datetime import date

from PIL import Image
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.exports.records import visit_record_pdf
from app.services.patients import create_patient
from app.services.providers import create_provider, list_providers, update_provider
from app.services.settings import load_clinic_profile
from app.services.visits import list_visits, open_visit, replace_points
from models.records import PatientDraft
from models.vocabulary import Sex
from tests.conftest import botox_point, snapshot
from ui.actions import MainAction
from ui.clinic_dialog import ClinicDialog
from ui.injectors_dialog import InjectorsDialog
from ui.main_window import MainWindow
from ui.visit_editor import VisitEditor


def open_window(qtbot, db):
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.tasks.is_idle() and bool(window.products))
    return window


def test_an_empty_clinic_is_shown_its_first_steps(qtbot, db):
    window = open_window(qtbot, db)
    assert "No patients yet" in window.patient_header.text()
    assert "File &gt; Injectors" in window.patient_header.text()
    window.search.setText("nobody")
    window.refresh()
    qtbot.waitUntil(lambda: "No patient matches" in window.patient_header.text())


def test_injectors_added_corrected_and_taken_off_the_list(qtbot, db):
    dialog = InjectorsDialog(db, first_run=True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.model.rowCount() == 0 and not dialog.active.isEnabled()
    qtbot.keyClicks(dialog.name, "Dana Reyes")
    qtbot.keyClicks(dialog.credentials, "RN")
    qtbot.keyClicks(dialog.licence, "RN-448120")
    qtbot.keyClick(dialog.licence, Qt.Key.Key_Return)  # Enter saves
    assert [(p.display_name, p.credentials, p.licence_number) for p in list_providers(db)] == [
        ("Dana Reyes", "RN", "RN-448120")
    ]
    assert dialog.changed and "Saved Dana Reyes" in dialog.message.text()

    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.name, "dana reyes")
    before = snapshot(db)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "already registered" in dialog.message.text()
    assert snapshot(db) == before

    dialog.table.selectRow(0)
    assert dialog.name.text() == "Dana Reyes"
    dialog.active.setChecked(False)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert list_providers(db) == []
    assert dialog.model.data(dialog.model.index(0, 3)) == "off the list"
    again = InjectorsDialog(db, first_run=True)
    qtbot.addWidget(again)
    assert "No injector is on the list for new visits" in again.intro.text()


def test_the_first_visit_asks_for_an_injector_first(qtbot, db, monkeypatch):
    create_patient(db, PatientDraft("A-0001", "Mia", "Chen", date(1990, 2, 1), Sex.FEMALE))
    asked = []

    def register(cls, database, parent, first_run=False):
        asked.append(first_run)
        create_provider(database, "Lee Park", "NP")
        return True

    monkeypatch.setattr(InjectorsDialog, "ask", classmethod(register))
    window = open_window(qtbot, db)
    qtbot.waitUntil(lambda: window.current_patient is not None)
    qtbot.mouseClick(window.new_visit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(window.editors))
    assert asked == [True]
    assert window.editors[0].provider.currentText() == "Lee Park NP"
    window.editors[0].close()


def test_no_injector_registered_means_no_visit(qtbot, db, monkeypatch):
    create_patient(db, PatientDraft("A-0001", "Mia", "Chen", date(1990, 2, 1), Sex.FEMALE))
    monkeypatch.setattr(
        InjectorsDialog, "ask", classmethod(lambda cls, database, parent, first_run=False: False)
    )
    window = open_window(qtbot, db)
    qtbot.waitUntil(lambda: window.current_patient is not None)
    qtbot.mouseClick(window.new_visit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "needs an injector" in window.statusBar().currentMessage())
    qtbot.waitUntil(window.tasks.is_idle)
    assert list_visits(db, "A-0001") == [] and not window.editors


def test_a_visit_keeps_its_injector_after_they_leave_the_list(qtbot, db, patient, provider):
    from app.services.visits import create_visit
    from tests.conftest import at

    visit = create_visit(db, patient.id, provider.id, at(2025, 1, 10))
    create_provider(db, "Lee Park", "NP")
    update_provider(db, provider.id, provider.display_name, provider.credentials, active=False)
    opened = open_visit(db, visit.id)
    editor = VisitEditor(db, patient, opened.visit, [], opened.providers, None, [])
    qtbot.addWidget(editor)
    assert editor.provider.currentData() == provider.id
    replace_points(db, visit.id, visit.version, [botox_point()])
    assert list_visits(db, patient.chart_number)[0].provider_name == "Dana Reyes"


def open_clinic_dialog(qtbot, db) -> ClinicDialog:
    """The dialog, with the stored details loaded (off the GUI thread)."""
    dialog = ClinicDialog(db)
    qtbot.addWidget(dialog)
    assert dialog.is_busy() and dialog.profile is None
    qtbot.waitUntil(lambda: dialog.profile is not None and not dialog.is_busy())
    return dialog


def png_file(path, colour=(20, 90, 160)):
    Image.new("RGB", (400, 120), colour).save(path)
    return path


def test_clinic_details_are_saved_and_printed(qtbot, db, patient, provider, tmp_path, monkeypatch):
    from app.services.visits import create_visit
    from tests.conftest import at

    monkeypatch.setattr(
        ClinicDialog, "ask_logo_path", classmethod(lambda cls, parent: str(png_file(tmp_path / "l.png")))
    )
    dialog = open_clinic_dialog(qtbot, db)
    qtbot.keyClicks(dialog.name, "Harbour Aesthetics")
    qtbot.keyClicks(dialog.address, "12 Quay Street, Bristol")
    qtbot.keyClicks(dialog.phone, "0117 496 0000")
    dialog.aftercare.setPlainText("Keep upright for four hours.")
    dialog.choose_logo()
    assert dialog.is_busy() and dialog.logo.pixmap().isNull()  # the logo is read off the GUI thread
    qtbot.waitUntil(lambda: not dialog.is_busy())
    assert not dialog.logo.pixmap().isNull() and dialog.remove_logo.isEnabled()
    with qtbot.waitSignal(dialog.tasks.changed) as changed:
        dialog.save()
        assert dialog.is_busy() and dialog.error.text() == "Saving…"
    assert changed.args[0].clinic
    assert dialog.result() == dialog.DialogCode.Accepted
    profile = load_clinic_profile(db)
    assert (profile.name, profile.address, profile.phone, profile.aftercare) == (
        "Harbour Aesthetics",
        "12 Quay Street, Bristol",
        "0117 496 0000",
        "Keep upright for four hours.",
    )
    logo = Image.open(io.BytesIO(__import__("base64").b64decode(profile.logo_png)))
    assert logo.size == (400, 120) and logo.getpixel((10, 10))[:3] == (20, 90, 160)

    visit = create_visit(db, patient.id, provider.id, at(2025, 1, 10))
    replace_points(db, visit.id, visit.version, [botox_point()])
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(visit_record_pdf(db, visit.id))).pages
    )
    assert "Harbour Aesthetics" in text and "0117 496 0000" in text and "Keep upright for four hours." in text


def test_a_bad_logo_or_a_long_name_is_refused_and_nothing_changes(qtbot, db, tmp_path, monkeypatch):
    not_an_image = tmp_path / "logo.png"
    not_an_image.write_text("not a picture")
    monkeypatch.setattr(ClinicDialog, "ask_logo_path", classmethod(lambda cls, parent: str(not_an_image)))
    dialog = open_clinic_dialog(qtbot, db)
    dialog.choose_logo()
    qtbot.waitUntil(lambda: not dialog.is_busy())
    assert "not an image file" in dialog.error.text() and dialog.logo_png == ""
    before = snapshot(db)
    dialog.name.setText("x" * 121)
    dialog.save()
    qtbot.waitUntil(lambda: not dialog.is_busy())
    assert "too long for the clinic name" in dialog.error.text()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert snapshot(db) == before


def test_file_menu_opens_both(qtbot, db, monkeypatch):
    opened = []
    monkeypatch.setattr(
        InjectorsDialog,
        "ask",
        classmethod(lambda cls, database, parent, first_run=False: opened.append("injectors")),
    )
    monkeypatch.setattr(
        ClinicDialog, "ask", classmethod(lambda cls, database, parent: opened.append("clinic"))
    )
    window = open_window(qtbot, db)
    file_menu = window.menuBar().actions()[0].menu()
    labels = [action.text() for action in file_menu.actions() if action.text()]
    assert labels[:2] == ["&Injectors…", "&Clinic details…"]
    for action in file_menu.actions()[:2]:
        action.trigger()
    assert opened == ["injectors", "clinic"]
    QApplication.processEvents()


def test_the_database_is_backed_up_from_the_file_menu(qtbot, demo_db, tmp_path, monkeypatch):
    import sqlite3

    from app.services.patients import search_patients

    destination = tmp_path / "backup.db"
    monkeypatch.setattr(
        MainWindow, "ask_backup_path", classmethod(lambda cls, parent, suggested: str(destination))
    )
    told = []
    monkeypatch.setattr(
        MainWindow, "tell", classmethod(lambda cls, parent, title, message: told.append(message))
    )
    window = open_window(qtbot, demo_db)
    window.actions[MainAction.BACKUP].trigger()
    qtbot.waitUntil(lambda: "Backed up to" in window.statusBar().currentMessage())
    with sqlite3.connect(destination) as copy:
        patients = copy.execute("SELECT count(*) FROM patient").fetchone()[0]
    assert patients == len(search_patients(demo_db, include_archived=True, limit=1000))
    window.actions[MainAction.BACKUP].trigger()  # the same name again: refused, the first copy kept
    qtbot.waitUntil(lambda: bool(told))
    assert "already exists" in told[0] and destination.stat().st_size > 0


def test_patient_files_exported_and_imported_from_the_menus(qtbot, demo_db, tmp_path, monkeypatch):
    import json

    from app.exports.interchange import export_patient
    from app.storage.database import open_database
    from tests.conftest import sqlite_url

    told = []
    monkeypatch.setattr(
        MainWindow,
        "tell",
        classmethod(lambda cls, parent, title, message, warning=True: told.append((title, message, warning))),
    )
    window = open_window(qtbot, demo_db)
    qtbot.waitUntil(lambda: window.current_patient is not None)
    chart = window.current_patient.chart_number
    exported = tmp_path / f"{chart}.json"
    monkeypatch.setattr(
        MainWindow, "ask_save_path", classmethod(lambda cls, parent, *args, **kwargs: str(exported))
    )
    window.actions[MainAction.EXPORT_PATIENT].trigger()
    qtbot.waitUntil(lambda: "Exported" in window.statusBar().currentMessage())
    assert json.loads(exported.read_text(encoding="utf-8")) == json.loads(
        json.dumps(export_patient(demo_db, chart), ensure_ascii=False)
    )

    # into another clinic: the good file is imported, the damaged one after it is refused and named
    other_path = tmp_path / "other.db"
    other = open_database(sqlite_url(other_path), "tester")
    damaged = tmp_path / "damaged.json"
    damaged.write_text("{ not json", encoding="utf-8")
    monkeypatch.setattr(
        MainWindow, "ask_import_paths", classmethod(lambda cls, parent: [str(exported), str(damaged)])
    )
    second = open_window(qtbot, other)
    second.actions[MainAction.IMPORT].trigger()
    qtbot.waitUntil(lambda: bool(told))
    title, message, warning = told[-1]
    assert title == "Import stopped" and warning
    assert f"{chart}.json: {chart} (new patient): " in message and "damaged.json" in message
    qtbot.waitUntil(lambda: second.patient_model.rowCount() == 1)
    assert second.patient_model.record(0).chart_number == chart
    other.close()


def test_file_actions_follow_the_database_and_the_work_under_way(qtbot, demo_db, monkeypatch):
    window = open_window(qtbot, demo_db)
    qtbot.waitUntil(lambda: window.current_patient is not None)
    assert (
        window.actions[MainAction.BACKUP].isEnabled()
        and window.actions[MainAction.EXPORT_PATIENT].isEnabled()
    )
    window._file_work_busy(True)
    assert not any(
        window.actions[a].isEnabled()
        for a in (MainAction.IMPORT, MainAction.BACKUP, MainAction.EXPORT_PATIENT)
    )
    window._file_work_busy(False)
    window.search.setText("nobody at all")
    window.refresh()
    qtbot.waitUntil(lambda: window.current_patient is None and window.tasks.is_idle())
    assert not window.actions[MainAction.EXPORT_PATIENT].isEnabled()


def test_a_patient_file_is_never_exported_over_the_database(qtbot, demo_db, tmp_path, monkeypatch):
    """The save dialog confirmed the name; the database is refused all the same, as a message."""
    from pathlib import Path

    from tests.app.test_files import is_sqlite, records

    told = []
    monkeypatch.setattr(
        MainWindow,
        "tell",
        classmethod(lambda cls, parent, title, message, warning=True: told.append((title, message))),
    )
    database_file = Path(demo_db.url.database)
    chosen = [database_file]
    monkeypatch.setattr(
        MainWindow, "ask_save_path", classmethod(lambda cls, parent, *args, **kwargs: str(chosen[0]))
    )
    before = records(demo_db)
    window = open_window(qtbot, demo_db)
    qtbot.waitUntil(lambda: window.current_patient is not None)
    window.actions[MainAction.EXPORT_PATIENT].trigger()
    qtbot.waitUntil(lambda: bool(told))
    assert told == [
        (
            "Not done",
            f"{database_file} is a database: Aliquot never writes over a database; choose another file name",
        )
    ]
    assert is_sqlite(database_file) and records(demo_db) == before
    chosen[0] = tmp_path / "old.json"  # an ordinary file, replacing it confirmed in the dialog
    chosen[0].write_text("last year's export", encoding="utf-8")
    window.actions[MainAction.EXPORT_PATIENT].trigger()
    qtbot.waitUntil(lambda: "Exported" in window.statusBar().currentMessage())
    assert '"format": "aliquot.patient/1"' in chosen[0].read_text(encoding="utf-8")


def save_dialog_confirms_overwrite(monkeypatch, ask) -> bool:
    """Whether the system save dialog that `ask()` opens asks before replacing a file."""
    from PySide6.QtWidgets import QFileDialog

    asked = []

    def dialog(*_args, options=QFileDialog.Option(0), **_kwargs):
        asked.append(options)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    assert ask() is None
    return bool(asked) and not asked[0] & QFileDialog.Option.DontConfirmOverwrite


def test_the_export_dialog_asks_before_replacing_a_file(monkeypatch):
    assert save_dialog_confirms_overwrite(
        monkeypatch, lambda: MainWindow.ask_save_path(None, "Export patient file", "A-0001.json", "*.json")
    )
