"""One writer never stops the clinic: while another program holds the write lock (a long
import), opening and reading go on, and a write waits, says so, and is saved afterwards.
Viewing, exporting and printing a chart write their access to the audit trail: they wait too."""

import copy
import json
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import date

import pytest

from app.services.catalogue import list_products
from app.services.patients import search_patients
from app.services.providers import create_provider, list_providers
from app.services.recall import due_list
from app.services.visits import create_visit, replace_points
from app.storage.database import open_database
from models import database as schema
from tests.app.test_cli import ROOT, aliquot
from tests.app.test_interchange import SPEC_EXAMPLE
from tests.conftest import ACTOR, at, botox_point, checkpoint

WAITING = "waiting for another program writing to the database…"


@pytest.fixture
def clinic(db, patient, provider):
    visit = create_visit(db, patient.id, provider.id, at(2025, 1, 10))
    replace_points(db, visit.id, visit.version, [botox_point()])
    checkpoint(db.engine)
    db.close()
    return db.url


class Writer:
    """Another program in the middle of a long write: it holds SQLite's write lock."""

    def __init__(self, path):
        self.connection = sqlite3.connect(path, isolation_level=None)
        self.connection.execute("BEGIN IMMEDIATE")
        self.connection.execute("INSERT INTO app_meta (key, value) VALUES ('other_program', 'busy')")

    def finish(self):
        if self.connection is not None:
            self.connection.execute("COMMIT")
            self.connection.close()
            self.connection = None


@pytest.fixture
def writer(clinic):
    holding = Writer(clinic.database)
    yield holding
    holding.finish()


def test_opening_and_reading_never_wait_for_a_writer(clinic, writer, monkeypatch):
    # A busy timeout so short that anything waiting for the lock would fail at once.
    monkeypatch.setattr(schema, "SQLITE_BUSY_TIMEOUT_S", 0.05)
    # and a write that should not be there fails in a second instead of waiting half an hour
    monkeypatch.setattr(schema, "WRITE_NOTICE_AFTER_S", 0.05)
    monkeypatch.setattr(schema, "WRITE_WAIT_S", 1)
    waits = []
    database = open_database(clinic, ACTOR, on_write_wait=lambda: waits.append(1))
    try:
        assert [p.chart_number for p in search_patients(database, "A-0001")] == ["A-0001"]
        assert [r.chart_number for r in due_list(database, date(2025, 4, 20))] == ["A-0001"]
        assert [p.display_name for p in list_providers(database)] == ["Dana Reyes"]
        assert "Botox Cosmetic" in {p.name for p in list_products(database.factory)}
    finally:
        database.close()
    assert waits == [], "an up-to-date database was opened and read without asking for the lock"
    assert writer.connection.in_transaction  # the other program was never disturbed


def test_a_write_behind_a_writer_says_so_waits_and_is_saved(clinic, writer, monkeypatch):
    monkeypatch.setattr(schema, "WRITE_NOTICE_AFTER_S", 0.05)
    told = threading.Event()
    database = open_database(clinic, ACTOR, on_write_wait=told.set)
    outcome = {}

    def register():
        try:
            outcome["saved"] = create_provider(database, "Sam Okafor", "NP")
        except Exception as error:  # reported by the assertions below
            outcome["error"] = error

    worker = threading.Thread(target=register)
    worker.start()
    try:
        assert told.wait(60), outcome.get("error")
        assert "saved" not in outcome  # still waiting for the other program
    finally:
        writer.finish()
        worker.join(60)
    assert "error" not in outcome, outcome.get("error")
    assert {p.display_name for p in list_providers(database)} == {"Dana Reyes", "Sam Okafor"}
    database.close()


def test_command_line_reads_beside_a_long_import_and_writes_wait_for_it(clinic, writer, tmp_path):
    path = clinic.database
    listed = json.loads(aliquot("patients", "--json", db=path).stdout)
    assert [p["chart_number"] for p in listed] == ["A-0001"]
    assert json.loads(aliquot("due", "--as-of", "2025-04-20", "--format", "json", db=path).stdout)
    assert "Botox Cosmetic" in aliquot("catalogue", db=path).stdout

    document = copy.deepcopy(SPEC_EXAMPLE)
    document["patient"]["chart_number"] = "B-0002"
    for point in document["visits"][0]["points"]:
        point["lot"] = None  # the clinic's lot C1234 has another expiry
    incoming = tmp_path / "B-0002.json"
    incoming.write_text(json.dumps(document), encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k != "ALIQUOT_DB"}
    writes = {
        name: subprocess.Popen(
            [sys.executable, "-m", "app", "--db", str(path), *args],
            cwd=ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in (
            ("export", ["export", "A-0001"]),
            ("visits", ["visits", "A-0001"]),
            ("injectors", ["injectors", "add", "Sam Okafor", "--credentials", "NP"]),
            ("import", ["import", str(incoming)]),
        )
    }
    try:
        for name, process in writes.items():
            first_line = process.stderr.readline()
            assert first_line.strip() == f"aliquot: {WAITING}", (name, first_line + process.stderr.read())
    finally:
        writer.finish()
        results = {
            name: (process.wait(120), process.stdout.read(), process.stderr.read())
            for name, process in writes.items()
        }
    for name, (code, _, stderr) in results.items():
        assert code == 0, (name, stderr)
        assert WAITING not in stderr, f"{name}: the waiting notice is given once"
    assert json.loads(results["export"][1])["patient"]["chart_number"] == "A-0001"
    assert "Botox Cosmetic" in results["visits"][1]
    assert "Sam Okafor" in aliquot("injectors", db=path).stdout
    charts = [p["chart_number"] for p in json.loads(aliquot("patients", "--json", db=path).stdout)]
    assert sorted(charts) == ["A-0001", "B-0002"]
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT value FROM app_meta WHERE key = 'other_program'").fetchone() == ("busy",)
        assert check.execute("SELECT count(*) FROM audit_event WHERE action = 'export'").fetchone() == (1,)


def test_the_window_tells_that_a_save_waits_for_another_program(qtbot, db, patient, monkeypatch):
    from functools import partial

    from app.services.patients import set_archived
    from ui.main_window import MainWindow

    monkeypatch.setattr(schema, "WRITE_NOTICE_AFTER_S", 0.05)
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.patient_model.rowCount() == 1 and window.tasks.is_idle())
    other = Writer(db.url.database)
    try:
        window.tasks.run("archive", partial(set_archived, db, patient.id, True), lambda _record: None)
        qtbot.waitUntil(lambda: "Waiting for another program" in window.statusBar().currentMessage())
        assert not window.tasks.is_idle()  # still waiting, not failed
    finally:
        other.finish()
    qtbot.waitUntil(window.tasks.is_idle)
    assert search_patients(db, "A-0001", include_archived=True)[0].archived
