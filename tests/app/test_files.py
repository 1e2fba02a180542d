"""Output files never destroy anything: never over a database, never over a file without
--force, whole or not at all, owner-only, no temporary copy left behind, spreadsheet-safe CSV."""

import copy
import csv
import errno
import hashlib
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import app.storage.files
from app.exports.interchange import import_document
from app.storage.database import backup_beside, backup_sqlite
from app.storage.files import suggested_file_name
from models.errors import AliquotError
from tests.app.test_cli import ROOT, aliquot, assert_one_line_refusal
from tests.app.test_interchange import SPEC_EXAMPLE

POSIX_MODES = pytest.mark.skipif(sys.platform == "win32", reason="owner-only modes are POSIX")
NEVER = "Aliquot never writes over a database"


def is_sqlite(path: Path) -> bool:
    return path.read_bytes()[:16] == b"SQLite format 3\x00"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def chart(db, chart_number: str, given_name: str = "Zoë", family_name: str = "Ångström-Núñez") -> None:
    """A signed Botox visit on 2025-01-10: due from 2025-04-10."""
    document = copy.deepcopy(SPEC_EXAMPLE)
    document["patient"].update(chart_number=chart_number, given_name=given_name, family_name=family_name)
    import_document(db, document, f"{chart_number}.json")


@pytest.fixture
def clinic(db, db_path):
    """A closed clinic database with one charted patient, for the command line."""
    chart(db, "A-0001")
    db.close()
    return db_path


def records(database) -> dict:
    """Every table but the audit trail (looking at a patient is audited)."""
    from tests.conftest import snapshot

    return {table: rows for table, rows in snapshot(database).items() if table != "audit_event"}


def dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def run_with_full_disk(*args) -> subprocess.CompletedProcess:
    """`aliquot ARGS` in a process whose disk is full: every fsync fails with ENOSPC."""
    script = (
        "import errno, os, sys\n"
        "def full(_fd): raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))\n"
        "os.fsync = full\n"
        "from app.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    environment = {
        k: v for k, v in os.environ.items() if k not in ("ALIQUOT_DB", "DISPLAY", "WAYLAND_DISPLAY")
    }
    return subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


# ------------------------------------------------------------------ never over a database


@pytest.mark.parametrize(
    "args",
    [
        ["export", "A-0001", "-o", "{db}"],
        ["export", "A-0001", "-o", "{db}", "--force"],
        ["due", "--format", "csv", "-o", "{db}", "--force"],
        ["due", "--format", "ics", "-o", "{db}-wal"],
        ["pdf", "history", "A-0001", "-o", "{other}.pdf", "--force"],  # a database, whatever its name
        ["export", "A-0001", "-o", "{other}.pdf-journal"],
        ["db", "backup", "{db}-journal"],
    ],
)
def test_no_output_is_written_over_a_database(clinic, tmp_path, args):
    other = tmp_path / "other"
    shutil.copyfile(clinic, f"{other}.pdf")
    before = {path: digest(path) for path in (clinic, Path(f"{other}.pdf"))}
    args = [a.format(db=clinic, other=other) for a in args]
    target = Path(args[args.index("-o") + 1] if "-o" in args else args[-1])
    result = aliquot(*args, db=clinic, check=False)
    assert_one_line_refusal(result, NEVER)
    assert {path: digest(path) for path in before} == before
    assert target.exists() == (target in before)  # no -wal or -journal was made up either
    assert json.loads(aliquot("patients", "--json", db=clinic).stdout)[0]["chart_number"] == "A-0001"


def test_export_over_the_open_database_names_it(clinic):
    result = aliquot("export", "A-0001", "-o", clinic, "--force", db=clinic, check=False)
    assert_one_line_refusal(result, rf"{clinic} is a database: {NEVER}; choose another file name")
    wal = aliquot("due", "--format", "csv", "-o", f"{clinic}-shm", db=clinic, check=False)
    assert_one_line_refusal(wal, rf"{clinic}-shm belongs to the database {clinic}")


def test_a_file_is_replaced_only_with_force(clinic, tmp_path):
    for args, name, start in (
        (["export", "A-0001"], "a1.json", b'{\n  "format"'),
        (["due", "--as-of", "2025-04-20", "--format", "csv"], "due.csv", b"\xef\xbb\xbfchart"),
        (["pdf", "history", "A-0001"], "history.pdf", b"%PDF-"),
    ):
        out = tmp_path / name
        out.write_text("the clinic's own notes", encoding="utf-8")
        refused = aliquot(*args, "-o", out, db=clinic, check=False)
        assert_one_line_refusal(
            refused, rf"{out} already exists and was left as it is; to replace it, add --force"
        )
        assert out.read_text(encoding="utf-8") == "the clinic's own notes"
        aliquot(*args, "-o", out, "--force", db=clinic)
        assert out.read_bytes().startswith(start)


def test_a_new_file_needs_no_force(clinic, tmp_path):
    aliquot("export", "A-0001", "-o", tmp_path / "new.json", db=clinic)
    assert (
        json.loads((tmp_path / "new.json").read_text(encoding="utf-8"))["patient"]["chart_number"] == "A-0001"
    )


# ------------------------------------------------------------------ whole or not at all


def test_a_full_disk_leaves_the_old_file_as_it_was(tmp_path, monkeypatch):
    out = tmp_path / "a1.json"
    out.write_bytes(b"old export")

    def full(_fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(
        AliquotError, match=rf"cannot write {out}: No space left on device; nothing was written"
    ):
        app.storage.files.write_atomically_bytes(out, b"new export" * 1000, replace=True)
    assert out.read_bytes() == b"old export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a1.json"]  # no temporary file left


def test_a_failed_rename_leaves_the_old_file_as_it_was(tmp_path, monkeypatch):
    out = tmp_path / "due.csv"
    out.write_bytes(b"old list")

    def refused(_source, _target):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(os, "replace", refused)
    with pytest.raises(AliquotError, match="Permission denied; nothing was written"):
        app.storage.files.write_atomically_bytes(out, b"new list", replace=True)
    assert out.read_bytes() == b"old list"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["due.csv"]


def test_export_image_on_a_full_disk_fails_and_keeps_the_old_png(clinic, tmp_path):
    visit = json.loads(aliquot("visits", "A-0001", "--json", db=clinic).stdout)[0]
    out = tmp_path / "chart.png"
    out.write_bytes(b"\x89PNG the picture from last week")
    result = run_with_full_disk("--db", clinic, "export-image", visit["id"], "-o", out, "--force")
    assert_one_line_refusal(result, rf"cannot write {out}: No space left on device; nothing was written")
    assert out.read_bytes() == b"\x89PNG the picture from last week"
    assert sorted(p.name for p in tmp_path.iterdir() if "chart" in p.name) == ["chart.png"]


def test_a_file_that_appears_while_writing_is_not_replaced(tmp_path, monkeypatch):
    out = tmp_path / "a1.json"
    real_publish = app.storage.files.publish

    def someone_else_first(partial, target, replace):
        target.write_bytes(b"written meanwhile by another program")
        real_publish(partial, target, replace)

    monkeypatch.setattr(app.storage.files, "publish", someone_else_first)
    with pytest.raises(AliquotError, match="already exists"):
        app.storage.files.write_atomically_bytes(out, b"ours")
    assert out.read_bytes() == b"written meanwhile by another program"


# ------------------------------------------------------------------ nothing partial left behind


def test_a_killed_backup_leaves_nothing_after_the_next_one(db, patient, tmp_path):
    """A backup killed after its temporary copy was written: the next backup removes it."""
    drive = tmp_path / "drive"
    drive.mkdir()
    script = (
        "import os, sqlite3, sys\nfrom pathlib import Path\nfrom app.storage.files import private_partial\n"
        "with private_partial(Path(sys.argv[2])) as partial:\n"
        "    source = sqlite3.connect(sys.argv[1]); target = sqlite3.connect(partial)\n"
        "    source.backup(target); target.close()\n"
        "    os._exit(9)  # killed: no clean-up runs\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, db.url.database, str(drive / "copy.db")], cwd=ROOT, timeout=60
    )
    [left] = drive.iterdir()
    assert left.name.startswith(".copy.db.") and left.name.endswith(".partial")
    assert sqlite3.connect(left).execute("SELECT chart_number FROM patient").fetchone() == ("A-0001",)
    backup_sqlite(db, drive / "second.db")
    assert sorted(p.name for p in drive.iterdir()) == ["second.db"]


def test_only_our_stale_partials_are_removed(tmp_path):
    dead, alive = dead_pid(), os.getppid()
    stale = [
        f".c.db.{dead}.partial",
        f".c.db.{dead}.partial-wal",
        f".c.db.{dead}.partial-shm",
        f".a1.json.{dead}.0a1b2c3d.partial",
    ]
    kept = [
        f".c.db.{alive}.partial",
        f".a1.json.{os.getpid()}.0a1b2c3d.partial",  # writers at work
        ".notes.partial",
        f"c.db.{dead}.partial",
        f".c.db.{dead}.partial.txt",
        "c.db",
    ]
    for name in stale + kept:
        (tmp_path / name).write_bytes(b"x")
    assert sorted(p.name for p in app.storage.files.remove_stale_partials(tmp_path)) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)


def test_the_next_start_and_the_next_write_remove_stale_partials(clinic, tmp_path):
    dead = dead_pid()
    beside_database = clinic.parent / f".c.backup.db.{dead}.partial"
    beside_database.write_bytes(b"a whole copy of the clinic")
    aliquot("patients", db=clinic)
    assert not beside_database.exists()
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / f".a1.json.{dead}.partial").write_bytes(b"half an export")
    app.storage.files.write_atomically_bytes(exports / "b2.json", b"{}")
    assert sorted(p.name for p in exports.iterdir()) == ["b2.json"]


# ------------------------------------------------------------------ owner only


@POSIX_MODES
def test_the_database_and_every_output_are_owner_only(tmp_path, monkeypatch):
    path = tmp_path / "new.db"
    script = (
        "import os, sys\nfrom app.cli import main\n"
        "assert main(['--db', sys.argv[1], 'demo', '--patients', '3', '--as-of', '2026-11-01']) == 0\n"
        "from app.storage.config import database_url\nfrom app.storage.database import open_database\n"
        "db = open_database(database_url(sys.argv[1]), 'tester')\n"
        "print(' '.join(oct(os.stat(sys.argv[1] + s).st_mode & 0o777) for s in ('', '-wal', '-shm')))\n"
        "db.close()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "ALIQUOT_DB"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["0o600", "0o600", "0o600"]  # SQLite's own files too
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    visit = json.loads(aliquot("visits", "A-0001", "--json", db=path).stdout)[0]["id"]
    for args, name in (
        (["export", "A-0001"], "a1.json"),
        (["due", "--format", "csv"], "due.csv"),
        (["due", "--format", "ics"], "due.ics"),
        (["pdf", "visit", visit], "visit.pdf"),
        (["export-image", visit], "chart.png"),
        (["db", "backup"], "backup.db"),
    ):
        out = outputs / name
        if args[0] == "db":
            aliquot(*args, out, db=path)
        else:
            aliquot(*args, "-o", out, db=path)
        assert mode(out) == 0o600, name
    replaced = outputs / "shared.json"
    replaced.write_text("{}")
    replaced.chmod(0o644)
    aliquot("export", "A-0001", "-o", replaced, "--force", db=path)
    assert mode(replaced) == 0o600


@POSIX_MODES
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG_DATA_HOME is read on Linux")
def test_the_default_data_folder_is_owner_only(tmp_path):
    data = tmp_path / "xdg"
    aliquot("patients", env={"XDG_DATA_HOME": str(data)})
    assert mode(data) == 0o700 and mode(data / "Aliquot") == 0o700
    assert mode(data / "Aliquot" / "aliquot.db") == 0o600


@POSIX_MODES
def test_backups_are_owner_only(db, patient, tmp_path):
    assert mode(backup_sqlite(db, tmp_path / "manual.db")) == 0o600
    assert mode(backup_beside(db, "before-0009")) == 0o600  # the one taken before an upgrade


@POSIX_MODES
def test_recovery_files_and_their_folder_are_owner_only(db, tmp_path, monkeypatch):
    from app.services.visits import VisitFields
    from app.storage.autosave import write_recovery
    from tests.conftest import at

    folder = tmp_path / "data" / "recovery"
    monkeypatch.setattr("app.storage.autosave.recovery_dir", lambda: folder)
    written = write_recovery(db, 7, 1, VisitFields(1, at(2026, 11, 20)), [])
    assert mode(written) == 0o600
    assert mode(folder) == 0o700 and mode(folder.parent) == 0o700
    assert mode(write_recovery(db, 7, 2, VisitFields(1, at(2026, 11, 20)), [])) == 0o600  # replaced


# ------------------------------------------------------------------ CSV for spreadsheets


def test_csv_cells_cannot_run_as_formulas():
    hostile = ['=HYPERLINK("http://evil.example","Click")', "+1+1", "-2+3", "@SUM(1)", "\tA1", "\rA1"]
    data = app.storage.files.csv_bytes(
        ["name", "days"], [[value, 3] for value in hostile] + [["Zoë 李", 0], ["O'Neil-Ray", 12]]
    )
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["name", "days"]
    assert [row[0] for row in rows[1:]] == ["'" + value for value in hostile] + ["Zoë 李", "O'Neil-Ray"]
    assert [row[1] for row in rows[1:]] == ["3"] * 6 + ["0", "12"]  # numbers stay numbers


def test_due_csv_reads_back_safe_and_with_every_letter(db, db_path, tmp_path):
    names = ['=HYPERLINK("http://evil.example","Click")', "+1+1", "-2+3", "@SUM(1)", "Zoë", "李"]
    for number, name in enumerate(names, start=1):
        chart(db, f"A-{number:04d}", given_name=name, family_name="Test")
    db.close()
    out = tmp_path / "due.csv"
    aliquot("due", "--as-of", "2025-04-20", "--format", "csv", "-o", out, db=db_path)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel on Windows reads it as UTF-8
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    shown = {row["chart_number"]: row["patient"] for row in table}
    assert shown == {
        f"A-{n:04d}": ("'" if name[0] in "=+-@" else "") + f"{name} Test"
        for n, name in enumerate(names, start=1)
    }
    assert {row["days_overdue"] for row in table} == {"0"} and {row["last_treated"] for row in table} == {
        "2025-01-10"
    }


@pytest.mark.parametrize(
    "parts, expected",
    [
        (("A-0001",), "A-0001.json"),
        (("2024/17", "history"), "2024-17-history.pdf"),
        (("../../etc/x",), "etc-x.json"),
        (("",), "aliquot.json"),
    ],
)
def test_a_suggested_file_name_never_names_a_folder(parts, expected):
    suffix = expected[expected.rindex(".") :]
    assert suggested_file_name(*parts, suffix=suffix) == expected
