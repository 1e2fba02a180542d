"""The `aliquot` command, run as a user runs it: in a subprocess, reading exit codes and output."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models.database import head_revision
from tests.app.test_interchange import SPEC_EXAMPLE

ROOT = Path(__file__).resolve().parents[2]
HEAD = head_revision()


def aliquot(*args, db=None, env=None, check=True):
    environment = {k: v for k, v in os.environ.items() if k != "ALIQUOT_DB"}
    environment.update(env or {})
    environment = {k: v for k, v in environment.items() if v != ""}
    command = [sys.executable, "-m", "app"] + (["--db", str(db)] if db else []) + [str(a) for a in args]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}: {result.stderr}")
    return result


def assert_one_line_refusal(result, pattern, code=1):
    assert result.returncode == code, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("aliquot: ")
    import re

    assert re.search(pattern, lines[0]), lines[0]


@pytest.fixture(scope="module")
def demo_clinic(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "c.db"
    result = aliquot("demo", "--patients", 40, "--seed", 3, "--as-of", "2026-11-01", db=path)
    assert "40 patients" in result.stdout
    return path


def test_demo_then_patients_json(demo_clinic):
    listed = json.loads(aliquot("patients", "--json", db=demo_clinic).stdout)
    assert 35 <= len(listed) <= 40  # archived patients are left out unless asked for
    assert set(listed[0]) >= {"chart_number", "given_name", "family_name", "date_of_birth"}
    everyone = json.loads(aliquot("patients", "--json", "--archived", db=demo_clinic).stdout)
    assert len(everyone) == 40


def test_patients_search(demo_clinic):
    first = json.loads(aliquot("patients", "--json", db=demo_clinic).stdout)[0]
    found = json.loads(
        aliquot("patients", "--search", first["chart_number"], "--json", db=demo_clinic).stdout
    )
    assert [p["chart_number"] for p in found] == [first["chart_number"]]
    text = aliquot("patients", "--search", "no-such-person", db=demo_clinic).stdout
    assert text.strip() == "no patients found"


def test_visits_json_with_totals(demo_clinic):
    visits = json.loads(aliquot("visits", "A-0001", "--json", db=demo_clinic).stdout)
    assert visits, "every demo patient has at least one visit"
    first = visits[0]
    assert set(first) >= {"id", "started_at", "status", "provider", "totals"}
    assert first["started_at"].endswith("+00:00")
    for total in first["totals"]:
        assert total["unit"] in ("U", "mL") and float(total["amount"]) > 0
    table = aliquot("visits", "A-0001", db=demo_clinic).stdout
    assert str(first["id"]) in table and first["totals"][0]["product"] in table


def test_catalogue(demo_clinic):
    products = json.loads(aliquot("catalogue", "--json", db=demo_clinic).stdout)
    botox = next(p for p in products if p["name"] == "Botox Cosmetic")
    assert (botox["unit"], botox["interval_min_days"], botox["interval_max_days"]) == ("U", 90, 120)
    assert "Juvéderm Voluma XC" in aliquot("catalogue", db=demo_clinic).stdout


def test_export_import_round_trip(demo_clinic, tmp_path):
    out = tmp_path / "a1.json"
    aliquot("export", "A-0001", "-o", out, db=demo_clinic)
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["format"] == "aliquot.patient/1"
    assert aliquot("export", "A-0001", db=demo_clinic).stdout == out.read_text(encoding="utf-8")
    empty = tmp_path / "empty.db"
    imported = aliquot("import", out, db=empty).stdout
    assert "A-0001 (new patient)" in imported
    again = aliquot("import", out, db=empty).stdout
    assert "0 visits added" in again
    assert aliquot("export", "A-0001", db=empty).stdout == out.read_text(encoding="utf-8")


def test_import_error_names_file_visit_and_field(tmp_path):
    bad = dict(SPEC_EXAMPLE)
    bad["visits"] = [dict(SPEC_EXAMPLE["visits"][0])]
    bad["visits"][0]["points"] = [dict(SPEC_EXAMPLE["visits"][0]["points"][0], unit="mL")]
    path = tmp_path / "zoe.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    result = aliquot("import", path, db=tmp_path / "c.db", check=False)
    assert_one_line_refusal(
        result, r"zoe.json: visit 'v1', point 1, unit: Botox Cosmetic is dosed in units \(U\), not mL"
    )
    assert json.loads(aliquot("patients", "--json", db=tmp_path / "c.db").stdout) == []


def test_environment_variable_chooses_the_database(tmp_path):
    path = tmp_path / "env.db"
    aliquot("demo", "--patients", 3, env={"ALIQUOT_DB": str(path)})
    assert path.exists()
    assert len(json.loads(aliquot("patients", "--json", "--archived", db=path).stdout)) == 3


def test_db_check_upgrade_backup(demo_clinic, tmp_path):
    check = aliquot("db", "check", db=demo_clinic).stdout
    assert f"schema revision {HEAD}" in check and "integrity: ok" in check
    assert f"schema {HEAD}" in aliquot("db", "upgrade", db=demo_clinic).stdout
    dest = tmp_path / "backup.db"
    assert "backed up" in aliquot("db", "backup", dest, db=demo_clinic).stdout
    assert len(json.loads(aliquot("patients", "--json", "--archived", db=dest).stdout)) == 40
    assert_one_line_refusal(aliquot("db", "backup", dest, db=demo_clinic, check=False), "already exists")


def test_damaged_database(tmp_path):
    path = tmp_path / "broken.db"
    path.write_bytes(b"\x00garbage" * 512)
    assert_one_line_refusal(aliquot("patients", db=path, check=False), "damaged or is not a database file")
    assert_one_line_refusal(aliquot("db", "check", db=path, check=False), "damaged or is not a database file")


def test_newer_database_is_refused_by_the_command_line(demo_clinic, tmp_path):
    path = tmp_path / "newer.db"
    shutil.copyfile(demo_clinic, path)
    import sqlite3

    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0042'")
    result = aliquot("patients", db=path, check=False)
    assert_one_line_refusal(result, "written by a newer version of Aliquot")
    assert "schema revision 0042" in aliquot("db", "check", db=path, check=False).stdout


@pytest.mark.parametrize(
    "args, pattern, code",
    [
        (["visits", "NOPE-1"], "no patient with chart number NOPE-1", 1),
        (["export", "NOPE-1"], "no patient with chart number NOPE-1", 1),
        (["import", "/no/such/file.json"], "no such file", 1),
        (["demo", "--patients", "0"], "must be at least 1", 2),
        (["demo", "--patients", "many"], "'many' is not a whole number", 2),
        (["demo", "--as-of", "yesterday"], "not a date", 2),
        (["frobnicate"], "invalid choice", 2),
        (["db"], "required", 2),
    ],
)
def test_user_mistakes_get_one_line_and_non_zero_exit(tmp_path, args, pattern, code):
    assert_one_line_refusal(aliquot(*args, db=tmp_path / "c.db", check=False), pattern, code)


def test_bad_database_argument(tmp_path):
    assert_one_line_refusal(
        aliquot("patients", db=tmp_path / "missing" / "c.db", check=False), "folder .* does not exist"
    )


def test_demo_never_mixes_into_real_records(demo_clinic):
    assert_one_line_refusal(aliquot("demo", db=demo_clinic, check=False), "already holds patients")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux desktop needs DISPLAY")
def test_no_screen_gives_a_message_not_a_crash(tmp_path):
    environment = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "QT_QPA_PLATFORM": ""}
    result = aliquot(db=tmp_path / "c.db", env=environment, check=False)
    assert_one_line_refusal(result, "no screen to open the Aliquot window on")


def test_the_clinic_keeps_its_own_time_zone(tmp_path):
    """A new database takes the workstation's zone; times print on the clinic's clock."""
    path = tmp_path / "ny.db"
    aliquot("demo", "--patients", 5, "--as-of", "2026-11-01", db=path, env={"TZ": "America/New_York"})
    assert "clinic time zone America/New_York" in aliquot("db", "timezone", db=path).stdout
    hours = [
        int(line.split()[2][:2])
        for line in aliquot("visits", "A-0001", db=path, env={"TZ": "Asia/Tokyo"}).stdout.splitlines()
    ]
    assert hours and all(9 <= hour <= 17 for hour in hours)
    assert_one_line_refusal(  # the demo clinic has users: a setting is changed by its admin
        aliquot("db", "timezone", "Europe/London", db=path, check=False), r"sign in first.*--user NAME"
    )
    admin = {"ALIQUOT_PASSWORD": "aliquot-demo"}
    assert (
        "Europe/London"
        in aliquot("--user", "admin", "db", "timezone", "Europe/London", db=path, env=admin).stdout
    )
    assert_one_line_refusal(
        aliquot("--user", "admin", "db", "timezone", "Mars/Base", db=path, env=admin, check=False),
        "not a time zone name",
    )


def test_export_image_draws_the_chart(demo_clinic, tmp_path):
    from PIL import Image

    visit = json.loads(aliquot("visits", "A-0001", "--json", db=demo_clinic).stdout)[-1]
    product = visit["totals"][0]["product"]
    colour = next(
        p["colour"]
        for p in json.loads(aliquot("catalogue", "--json", db=demo_clinic).stdout)
        if p["name"] == product
    )
    out = tmp_path / "chart.png"
    aliquot(
        "export-image", visit["id"], "-o", out, db=demo_clinic, env={"DISPLAY": "", "QT_QPA_PLATFORM": ""}
    )
    image = Image.open(out).convert("RGB")
    assert image.size == (1600, 2300)
    target = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    marker_pixels = sum(
        count
        for count, pixel in image.getcolors(maxcolors=1 << 24)
        if sum(abs(a - b) for a, b in zip(pixel, target, strict=False)) < 30
    )
    assert marker_pixels > 200, "the markers are drawn in their product's colour"
    assert_one_line_refusal(
        aliquot("export-image", 99999, "-o", tmp_path / "none.png", db=demo_clinic, check=False),
        "no visit with id 99999",
    )
    assert_one_line_refusal(
        aliquot("export-image", visit["id"], "-o", tmp_path / "c.jpg", db=demo_clinic, check=False),
        "is a PNG",
    )


def test_injectors_registered_corrected_and_taken_off_the_list(tmp_path):
    path = tmp_path / "clinic.db"
    assert "no injectors registered" in aliquot("injectors", db=path).stdout
    assert (
        "registered injector 1: Dana Reyes RN"
        in aliquot(
            "injectors", "add", "Dana Reyes", "--credentials", "RN", "--licence", "RN-448120", db=path
        ).stdout
    )
    aliquot("injectors", "add", "Lee Park", "--credentials", "NP", db=path)
    assert_one_line_refusal(
        aliquot("injectors", "add", "dana reyes", db=path, check=False), "already registered"
    )
    assert_one_line_refusal(
        aliquot("injectors", "edit", "7", "--inactive", db=path, check=False), "no injector 7"
    )
    assert_one_line_refusal(
        aliquot("injectors", "edit", "1", "--active", "--inactive", db=path, check=False),
        "not allowed with",
        code=2,
    )
    assert (
        "(inactive)" in aliquot("injectors", "edit", "1", "--inactive", "--credentials", "NP", db=path).stdout
    )
    assert [line.split()[1] for line in aliquot("injectors", db=path).stdout.splitlines()] == ["Lee"]
    everyone = json.loads(aliquot("injectors", "--all", "--json", db=path).stdout)
    assert everyone == [
        {"id": 1, "name": "Dana Reyes", "credentials": "NP", "licence_number": "RN-448120", "active": False},
        {"id": 2, "name": "Lee Park", "credentials": "NP", "licence_number": None, "active": True},
    ]
    aliquot("injectors", "edit", "1", "--active", db=path)
    assert len(json.loads(aliquot("injectors", "--json", db=path).stdout)) == 2
    for injector in ("1", "2"):
        aliquot("injectors", "edit", injector, "--inactive", db=path)
    assert "no injectors on the list (2 taken off" in aliquot("injectors", db=path).stdout


@pytest.mark.parametrize("option", ["--version", "--help"])
def test_version_and_help_load_no_database_pdf_or_qt_library(option):
    """`aliquot --help` starts at once: a command imports only what it uses."""
    probe = (
        "import sys, runpy\n"
        f"sys.argv = ['aliquot', {option!r}]\n"
        "try:\n"
        "    runpy.run_module('app', run_name='__main__')\n"
        "except SystemExit as done:\n"
        "    assert done.code in (0, None), done.code\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'alembic', 'reportlab',"
        " 'PySide6', 'PIL', 'icalendar'})\n"
        "print('loaded:', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "aliquot" in done.stdout
    assert "loaded: []" in done.stderr


def test_a_search_loads_neither_alembic_nor_the_pdf_and_calendar_libraries(tmp_path):
    path = tmp_path / "clinic.db"
    aliquot("patients", db=path)  # created and migrated
    probe = (
        "import sys\n"
        "from app.cli import main\n"
        f"assert main(['--db', {str(path)!r}, 'patients', '--search', 'nobody']) == 0\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'alembic', 'reportlab', 'PySide6', 'PIL',"
        " 'icalendar'}), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == "[]"
