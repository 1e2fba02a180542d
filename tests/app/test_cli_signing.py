"""Users, signing and the audit trail on the command line, run as a user runs them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

from tests.app.test_cli import ROOT, assert_one_line_refusal
from tests.app.test_interchange import SPEC_EXAMPLE

ADMIN = ("admin", "admin password 1")
DANA = ("dana", "dana password 1")


def run(*args, db, user=None, password=None, stdin="", check=True):
    environment = {k: v for k, v in os.environ.items() if k not in ("ALIQUOT_DB", "ALIQUOT_PASSWORD")}
    if password is not None:
        environment["ALIQUOT_PASSWORD"] = password
    command = [sys.executable, "-m", "app", "--db", str(db)]
    command += ["--user", user] if user else []
    result = subprocess.run(
        command + [str(a) for a in args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        input=stdin,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}: {result.stderr}")
    return result


def as_admin(*args, db, **kwargs):
    return run(*args, db=db, user=ADMIN[0], password=ADMIN[1], **kwargs)


def as_dana(*args, db, **kwargs):
    return run(*args, db=db, user=DANA[0], password=DANA[1], **kwargs)


@pytest.fixture
def clinic(tmp_path):
    """Zoë's file imported, then the first admin and Dana (her injector) made."""
    db = tmp_path / "clinic.db"
    document = json.loads(json.dumps(SPEC_EXAMPLE))
    for visit in document["visits"]:
        visit["status"] = "draft"
        visit["consent"] = True
    source = tmp_path / "zoe.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    run("import", source, db=db)  # no users yet: works as before
    run("users", "add", ADMIN[0], "--role", "admin", db=db, stdin=ADMIN[1] + "\n")
    injector = json.loads(run("injectors", "--json", db=db).stdout)[0]["id"]
    as_admin(
        "users", "add", DANA[0], "--role", "injector", "--injector", injector, db=db, stdin=DANA[1] + "\n"
    )
    return db


def visit_ids(db):
    return [v["id"] for v in json.loads(run("visits", "A-0001", "--json", db=db).stdout)]


def test_users_are_listed_and_a_change_without_a_signed_in_user_changes_nothing(clinic, tmp_path):
    listed = json.loads(run("users", "--json", db=clinic).stdout)
    assert [(u["username"], u["role"]) for u in listed] == [("admin", "admin"), ("dana", "injector")]
    before = sqlite3.connect(clinic).execute("SELECT count(*) FROM user_account").fetchone()
    result = run("users", "add", "eve", "--role", "admin", db=clinic, stdin="eve password 1\n", check=False)
    assert_one_line_refusal(
        result, r"sign in first: only a signed-in user may manage user accounts \(--user NAME"
    )
    wrong = run(
        "users", "add", "eve", "--role", "admin", db=clinic, user="admin", password="nope", check=False
    )
    assert_one_line_refusal(wrong, "unknown user name or wrong password")
    assert sqlite3.connect(clinic).execute("SELECT count(*) FROM user_account").fetchone() == before
    other = tmp_path / "other.json"
    other.write_text(
        json.dumps(dict(SPEC_EXAMPLE, patient=dict(SPEC_EXAMPLE["patient"], chart_number="B-1")))
    )
    assert_one_line_refusal(run("import", other, db=clinic, check=False), "sign in first")
    assert "B-1" not in run("patients", db=clinic).stdout
    injector_refused = as_dana(
        "users", "add", "eve", "--role", "admin", db=clinic, stdin="x" * 12, check=False
    )
    assert_one_line_refusal(injector_refused, "injector accounts cannot manage user accounts")


def test_sign_verify_and_tamper(clinic):
    visit = visit_ids(clinic)[0]
    missing = as_dana("sign", visit, db=clinic, check=False)
    assert missing.returncode == 0 or "cannot be signed yet" in missing.stderr
    if missing.returncode != 0:  # the example's points have lots with expiry and consent: it should sign
        pytest.fail(missing.stderr)
    assert f"visit {visit} signed by Dana Reyes RN" in missing.stdout and "SHA-256" in missing.stdout
    verified = run("audit", "verify", db=clinic)
    assert verified.stdout.startswith("audit trail intact:") and "1 signed visits" in verified.stdout
    connection = sqlite3.connect(clinic)
    with pytest.raises(sqlite3.IntegrityError, match="signed visit is locked"):
        connection.execute("UPDATE injection_point SET amount = 400 WHERE visit_id = ?", (visit,))
    connection.execute("DROP TRIGGER lock_signed_point_update")
    connection.execute("UPDATE injection_point SET amount = 400 WHERE visit_id = ?", (visit,))
    connection.commit()
    broken = run("audit", "verify", db=clinic, check=False)
    assert_one_line_refusal(broken, rf"audit trail BROKEN: visit {visit} was changed after it was signed")
    check = run("db", "check", db=clinic, check=False)
    assert check.returncode == 1 and f"audit trail BROKEN: visit {visit}" in check.stdout


def test_db_check_names_an_audit_row_deleted_with_any_tool(clinic):
    assert "audit trail intact" in run("db", "check", db=clinic).stdout
    connection = sqlite3.connect(clinic)
    with pytest.raises(sqlite3.IntegrityError, match="never changed"):
        connection.execute("DELETE FROM audit_event WHERE id = 2")
    connection.execute("DROP TRIGGER lock_audit_delete")
    connection.execute("DELETE FROM audit_event WHERE id = 2")
    connection.commit()
    check = run("db", "check", db=clinic, check=False)
    assert check.returncode == 1 and "audit event 2 is missing (deleted)" in check.stdout


def test_amend_a_signed_visit_from_a_file(clinic, tmp_path):
    visit = visit_ids(clinic)[0]
    as_dana("sign", visit, db=clinic)
    before = snapshot_of(clinic, visit)
    corrected = json.loads(json.dumps(SPEC_EXAMPLE))
    corrected["visits"] = [dict(corrected["visits"][0], consent=True, status="draft")]
    corrected["visits"][0]["points"][0]["amount"] = "6"
    path = tmp_path / "corrected.json"
    path.write_text(json.dumps(corrected), encoding="utf-8")
    refused = as_dana("amend", visit, "--reason", " ", path, db=clinic, check=False)
    assert_one_line_refusal(refused, "needs its reason")
    done = as_dana("amend", visit, "--reason", "glabella was 6 U", path, db=clinic)
    assert f"visit {visit} amended by visit" in done.stdout
    assert snapshot_of(clinic, visit) == before  # the original stays as it was
    assert run("audit", "verify", db=clinic).returncode == 0
    log = json.loads(as_admin("audit", "log", "--patient", "A-0001", "--format", "json", db=clinic).stdout)
    assert [e["action"] for e in log if e["action"] in ("sign", "amend")] == ["sign", "amend", "sign"]
    assert all(e["chart"] == "A-0001" and e["workstation"] for e in log)


def snapshot_of(db, visit):
    connection = sqlite3.connect(db)
    return (
        connection.execute(
            "SELECT * FROM injection_point WHERE visit_id = ? ORDER BY position", (visit,)
        ).fetchall()
        + connection.execute("SELECT * FROM visit WHERE id = ?", (visit,)).fetchall()
    )


def test_audit_log_formats_and_access_events(clinic, tmp_path):
    run("patients", "--search", "zoe", db=clinic)
    run("due", "--format", "csv", "-o", tmp_path / "due.csv", db=clinic)
    table = as_admin("audit", "log", "--user", "admin", db=clinic).stdout
    assert "sign-in" in table and "create" in table
    csv_text = as_admin("audit", "log", "--format", "csv", db=clinic).stdout
    header = csv_text.lstrip("\ufeff").splitlines()[0]
    assert header == "id,at,user,workstation,action,entity,entity_id,chart,visit,details"
    actions = {
        e["action"]: e for e in json.loads(as_admin("audit", "log", "--format", "json", db=clinic).stdout)
    }
    assert actions["search"]["details"] == {"found": 1, "text": "zoe"}
    assert actions["export"]["entity"] == "due-list" and actions["export"]["details"]["format"] == "csv"
    refused = as_dana("audit", "log", db=clinic, check=False)
    assert_one_line_refusal(refused, "injector accounts cannot read the audit trail")


def test_a_failed_sign_in_is_audited_and_counted(clinic):
    """The growing wait itself is tested in-process with a clock (tests/app/test_signing.py)."""
    first = run("sign", 1, db=clinic, user="dana", password="wrong password", check=False)
    assert_one_line_refusal(first, "unknown user name or wrong password")
    stored = sqlite3.connect(clinic).execute(
        "SELECT failed_attempts FROM user_account WHERE username = 'dana'"
    )
    assert stored.fetchone() == (1,)
    failed = [
        e
        for e in json.loads(as_admin("audit", "log", "--format", "json", db=clinic).stdout)
        if e["action"] == "sign-in-failed"
    ]
    assert [(e["user"], e["details"]["reason"]) for e in failed] == [("dana", "wrong password")]
