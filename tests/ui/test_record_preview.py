"""Records made off the GUI thread, previewed, saved and printed (to a PDF printer)."""

import io

import pypdf
from PySide6.QtPrintSupport import QPrinter

from app.services.visits import list_visits
from tests.ui.test_visit_editor import click, front_anchor, open_editor
from ui.record_preview import RecordPreview


def test_visit_record_preview_save_and_print(qtbot, demo_db, tmp_path, monkeypatch):
    editor = open_editor(qtbot, demo_db)
    for code in ("procerus", "crows_feet_l"):
        click(qtbot, editor, *front_anchor(code))
    editor.save_action.trigger()
    qtbot.waitUntil(lambda: not editor.is_modified() and editor.tasks.is_idle())
    editor.record_action.trigger()
    preview = editor.preview
    qtbot.addWidget(preview)
    # Made off the GUI thread: until this thread takes the result, the window says it is busy.
    assert preview.record is None and preview.busy.isVisible() and not preview.save_action.isEnabled()
    qtbot.waitUntil(lambda: preview.record is not None, timeout=15000)
    assert preview.busy.isHidden() and preview.save_action.isEnabled()
    rendered = pypdf.PdfReader(io.BytesIO(preview.record.pdf))
    assert editor.patient.family_name in rendered.pages[0].extract_text()
    assert preview.pages.count() == len(rendered.pages) == len(preview.record.pages)
    first = preview.record.pages[0].convert("L")
    assert sum(n for n, value in first.getcolors(256) if value < 200) > 3000  # not a blank page

    saved = tmp_path / "record.pdf"
    monkeypatch.setattr(RecordPreview, "ask_save_path", classmethod(lambda cls, parent, name: saved))
    preview.save_action.trigger()
    text = pypdf.PdfReader(saved).pages[0].extract_text()
    assert editor.patient.family_name in text and "Procerus" in text

    printed = tmp_path / "printed.pdf"

    def pdf_printer(cls, parent):
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(printed))
        return printer

    monkeypatch.setattr(RecordPreview, "ask_printer", classmethod(pdf_printer))
    preview.print_action.trigger()
    assert preview.busy.isVisible() and not preview.print_action.isEnabled()  # pages drawn off the GUI thread
    qtbot.waitUntil(lambda: "Sent" in preview.status.text(), timeout=15000)
    assert len(pypdf.PdfReader(printed).pages) == preview.pages.count()
    assert (
        preview.status.text()
        == f"Sent {preview.pages.count()} page{'s' if preview.pages.count() != 1 else ''} to the printer"
    )
    assert preview.print_action.isEnabled()


def test_an_unsaved_visit_is_not_printed(qtbot, demo_db):
    editor = open_editor(qtbot, demo_db)
    click(qtbot, editor, *front_anchor("chin"))
    editor.record_action.trigger()
    assert "Save the visit first" in editor.statusBar().currentMessage()


def open_history(qtbot, demo_db):
    """The patient page's History PDF, drawn: the window and its preview."""
    from tests.ui.test_main_window import open_window

    window = open_window(qtbot, demo_db)
    qtbot.waitUntil(lambda: window.history_button.isEnabled())
    window.history_button.click()
    preview = window.preview
    qtbot.addWidget(preview)
    qtbot.waitUntil(lambda: preview.record is not None, timeout=15000)
    return window, preview


def test_history_from_the_patient_page(qtbot, demo_db):
    window, preview = open_history(qtbot, demo_db)
    text = pypdf.PdfReader(io.BytesIO(preview.record.pdf)).pages[0].extract_text()
    assert "Treatment history" in text
    assert len(list_visits(demo_db, window.current_patient.chart_number)) > 0


ASK_SAVE_PATH = RecordPreview.__dict__["ask_save_path"]  # before the fixtures replace it


def test_a_record_is_never_saved_over_the_database(qtbot, demo_db, monkeypatch):
    from pathlib import Path

    from tests.app.test_files import is_sqlite, records

    database_file = Path(demo_db.url.database)
    told = []
    monkeypatch.setattr(RecordPreview, "ask_save_path", classmethod(lambda cls, parent, name: database_file))
    monkeypatch.setattr(
        RecordPreview,
        "tell",
        classmethod(lambda cls, parent, title, message: told.append(message)),
        raising=False,
    )
    before = records(demo_db)
    _window, preview = open_history(qtbot, demo_db)
    preview.save_action.trigger()
    assert told == [
        f"{database_file} is a database: Aliquot never writes over a database; choose another file name"
    ]
    assert "Not saved" in preview.status.text()
    assert is_sqlite(database_file) and records(demo_db) == before


def test_the_save_dialog_asks_before_replacing_a_file(monkeypatch):
    from tests.ui.test_clinic_setup import save_dialog_confirms_overwrite

    assert save_dialog_confirms_overwrite(
        monkeypatch, lambda: ASK_SAVE_PATH.__func__(RecordPreview, None, "record.pdf")
    )
