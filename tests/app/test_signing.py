"""Users, signing, the database's locks and the hash-chained audit trail, end to end on
real SQLite databases: each test asserts on stored rows, refusals and verify's words."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.services.patients import create_patient
from app.services.providers import create_provider, update_provider
from app.services.signing import (
    UNKNOWN_SIGNER,
    amendment_trail,
    awaiting_cosign,
    cosign_visit,
    sign_visit,
    signing_check,
    start_amendment,
)
from app.services.trail import audit_log, verify_trail
from app.services.users import add_user, disable_user, list_users, sign_in, sign_out
from app.services.visits import create_visit, get_visit, replace_points
from models.errors import ConflictError, PermissionRefused, SignInRefused, ValidationError
from models.records import PatientDraft
from models.tables import AuditEvent, UserAccount
from models.vocabulary import Role, Sex, VisitStatus
from tests.conftest import ACTOR, at, botox_point, snapshot

ADMIN_PASSWORD = "admin password 1"
DANA_PASSWORD = "dana password 1"
SAM_PASSWORD = "sam password 12"


@pytest.fixture
def clinic(db, patient):
    """A clinic with an admin, an injector (Dana) and a prescriber (Sam), Dana signed in,
    and one complete draft visit of hers."""
    dana = create_provider(db, "Dana Reyes", "RN", "RN-448120")
    sam = create_provider(db, "Sam Ortiz", "MD", "MD-1")
    add_user(db, "admin", Role.ADMIN, ADMIN_PASSWORD)
    sign_in(db, "admin", ADMIN_PASSWORD)
    add_user(db, "dana", Role.INJECTOR, DANA_PASSWORD, provider_id=dana.id)
    add_user(db, "sam", Role.PRESCRIBER, SAM_PASSWORD, provider_id=sam.id)
    sign_in(db, "dana", DANA_PASSWORD)
    visit = create_visit(db, patient.id, dana.id, at(2026, 11, 2), consent_recorded=True)
    visit = replace_points(db, visit.id, visit.version, [botox_point(), botox_point("corrugator_l", "8")])
    return db, visit, dana, sam


def sql(db_path, statement, *params):
    connection = sqlite3.connect(db_path)
    try:
        connection.execute(statement, params)
        connection.commit()
    finally:
        connection.close()


# Users and signing in


def test_the_first_user_must_be_an_admin_and_then_changes_need_a_signed_in_user(db, patient, provider):
    with pytest.raises(ValidationError, match="first user must be an admin"):
        add_user(db, "dana", Role.INJECTOR, DANA_PASSWORD, provider_id=provider.id)
    assert list_users(db) == []
    add_user(db, "admin", Role.ADMIN, ADMIN_PASSWORD)
    before = snapshot(db)
    with pytest.raises(PermissionRefused, match="sign in first"):
        create_patient(db, PatientDraft("B-1", "Ana", "Lima", date(1990, 1, 1), Sex.FEMALE))
    with pytest.raises(PermissionRefused, match="sign in first"):
        create_visit(db, patient.id, provider.id, at(2026, 11, 2))
    assert snapshot(db) == before


def test_passwords_are_argon2_hashes_and_a_wrong_one_is_audited_and_slowed(db):
    add_user(db, "admin", Role.ADMIN, ADMIN_PASSWORD)
    with db.factory() as session:
        stored = session.scalar(select(UserAccount.password_hash))
    assert stored.startswith("$argon2id$") and ADMIN_PASSWORD not in stored
    now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    with pytest.raises(SignInRefused, match="wrong password") as first:
        sign_in(db, "admin", "not it at all", now=now)
    assert first.value.wait_seconds == 1
    with pytest.raises(SignInRefused, match="wrong password") as second:
        sign_in(db, "admin", "still not it", now=now + timedelta(seconds=2))
    assert second.value.wait_seconds == 2
    # Too soon after the second failure: refused without even checking the password.
    with pytest.raises(SignInRefused, match="try again in 2 s"):
        sign_in(db, "admin", ADMIN_PASSWORD, now=now + timedelta(seconds=2.5))
    assert db.user is None
    user = sign_in(db, "admin", ADMIN_PASSWORD, now=now + timedelta(seconds=5))
    assert user.role is Role.ADMIN and db.actor == "admin"
    with db.factory() as session:
        actions = [(e.actor, e.action) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-4:] == [
        ("admin", "sign-in-failed"),
        ("admin", "sign-in-failed"),
        ("admin", "sign-in-failed"),
        ("admin", "sign-in"),
    ]


def test_unknown_user_and_disabled_account_are_refused(db):
    add_user(db, "admin", Role.ADMIN, ADMIN_PASSWORD)
    sign_in(db, "admin", ADMIN_PASSWORD)
    add_user(db, "desk", Role.FRONT_DESK, "desk password")
    with pytest.raises(ConflictError, match="last admin"):
        disable_user(db, "admin")
    disable_user(db, "desk")
    with pytest.raises(SignInRefused, match="unknown user name or wrong password"):
        sign_in(db, "nobody", "whatever it is")
    with pytest.raises(SignInRefused, match="disabled"):
        sign_in(db, "desk", "desk password")


def test_front_desk_keeps_patients_but_charts_nothing(clinic, patient):
    db, visit, _dana, _ = clinic
    sign_in(db, "admin", ADMIN_PASSWORD)
    add_user(db, "desk", Role.FRONT_DESK, "desk password")
    sign_in(db, "desk", "desk password")
    create_patient(db, PatientDraft("B-2", "Ana", "Lima", date(1990, 1, 1), Sex.FEMALE))
    with pytest.raises(PermissionRefused, match="front desk accounts cannot chart visits"):
        replace_points(db, visit.id, visit.version, [botox_point()])
    with pytest.raises(PermissionRefused, match="front desk accounts cannot sign visits"):
        sign_visit(db, visit.id)


def test_an_injector_charts_and_signs_only_their_own_visits(clinic, patient):
    db, visit, _dana, sam = clinic
    with pytest.raises(PermissionRefused, match="Sam Ortiz's"):
        create_visit(db, patient.id, sam.id, at(2026, 11, 3))
    sign_in(db, "sam", SAM_PASSWORD)
    with pytest.raises(PermissionRefused, match="only they can sign it"):
        sign_visit(db, visit.id)


# Signing


def test_only_a_complete_visit_is_signed_and_what_is_missing_is_listed(db, patient):
    dana = create_provider(db, "Dana Reyes", "RN")
    add_user(db, "admin", Role.ADMIN, ADMIN_PASSWORD)
    sign_in(db, "admin", ADMIN_PASSWORD)
    add_user(db, "dana", Role.INJECTOR, DANA_PASSWORD, provider_id=dana.id)
    sign_in(db, "dana", DANA_PASSWORD)
    visit = create_visit(db, patient.id, dana.id, at(2026, 11, 2))
    visit = replace_points(db, visit.id, visit.version, [botox_point(lot_number=None, lot_expiry=None)])
    missing = signing_check(db, visit.id)
    assert missing == ["site 1 (glabella) has no lot number", "consent is not recorded"]
    before = snapshot(db)
    with pytest.raises(ValidationError, match="cannot be signed yet: site 1 .* no lot number; consent"):
        sign_visit(db, visit.id)
    assert snapshot(db) == before


def test_signing_stores_who_when_role_and_the_content_hash_in_the_chain(clinic):
    db, visit, _dana, _ = clinic
    signed = sign_visit(db, visit.id, visit.version)
    assert signed.status is VisitStatus.SIGNED
    signature = signed.signature
    assert signature.signer.name == "Dana Reyes" and signature.signer.role == "injector"
    assert signature.signer.licence == "RN-448120" and signature.signer.username == "dana"
    assert signature.signed_at.tzinfo is not None
    assert len(signature.content_hash) == 64
    with db.factory() as session:
        sign_event = session.scalars(select(AuditEvent).where(AuditEvent.action == "sign")).one()
    assert signature.content_hash in sign_event.details and sign_event.visit_id == visit.id
    report = verify_trail(db)
    assert report.ok and report.signed_visits == 1, report.summary()
    with pytest.raises(ConflictError, match="signed and locked"):
        replace_points(db, visit.id, signed.version, [botox_point()])


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE injection_point SET amount = 400 WHERE visit_id = ?",
        "DELETE FROM injection_point WHERE visit_id = ?",
        "INSERT INTO injection_point (visit_id, position, view, x, y, region_code, product_id, amount, aliquots,"
        " gauge, notes) SELECT ?, 99, view, x, y, region_code, product_id, amount, aliquots, gauge, notes"
        " FROM injection_point LIMIT 1",
        "UPDATE visit SET notes = 'changed' WHERE id = ?",
        "DELETE FROM visit WHERE id = ?",
        "UPDATE lot SET number = 'X999' WHERE id IN (SELECT lot_id FROM injection_point WHERE visit_id = ?)",
    ],
)
def test_the_database_refuses_to_change_a_signed_visit(clinic, db_path, statement):
    db, visit, *_ = clinic
    sign_visit(db, visit.id)
    before = snapshot(db)
    with pytest.raises(sqlite3.IntegrityError, match="signed visit is locked"):
        sql(db_path, statement, visit.id)
    assert snapshot(db) == before


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_event SET actor = 'someone' WHERE id = 1", "DELETE FROM audit_event WHERE id = 1"],
)
def test_the_database_refuses_to_change_the_audit_trail(clinic, db_path, statement):
    db, *_ = clinic
    before = snapshot(db)
    with pytest.raises(sqlite3.IntegrityError, match="audit trail can be added to, never changed"):
        sql(db_path, statement)
    assert snapshot(db) == before


def test_with_the_trigger_dropped_verify_names_the_changed_visit(clinic, db_path):
    db, visit, *_ = clinic
    sign_visit(db, visit.id)
    sql(db_path, "DROP TRIGGER lock_signed_point_update")
    sql(db_path, "UPDATE injection_point SET amount = 400 WHERE visit_id = ?", visit.id)
    report = verify_trail(db)
    assert not report.ok
    assert (
        report.problem
        == f"visit {visit.id} was changed after it was signed: its rows no longer match what was signed"
    )


def test_verify_names_a_rewritten_content_hash(clinic, db_path):
    db, visit, *_ = clinic
    sign_visit(db, visit.id)
    sql(db_path, "DROP TRIGGER lock_signed_visit_update")
    sql(
        db_path,
        "UPDATE visit SET signed_snapshot = replace(signed_snapshot, 'Dana', 'Eve') WHERE id = ?",
        visit.id,
    )
    assert "its signed content does not match its content hash" in verify_trail(db).problem


def _event_count(db):
    with db.factory() as session:
        return len(session.scalars(select(AuditEvent.id)).all())


def test_verify_names_an_edited_audit_event(clinic, db_path):
    db, *_ = clinic
    sql(db_path, "DROP TRIGGER lock_audit_update")
    sql(db_path, "UPDATE audit_event SET actor = 'someone else' WHERE id = 3")
    problem = verify_trail(db).problem
    assert problem.startswith("audit event 3 (") and "does not match its hash" in problem


def test_verify_names_a_deleted_audit_event(clinic, db_path):
    db, *_ = clinic
    sql(db_path, "DROP TRIGGER lock_audit_delete")
    sql(db_path, "DELETE FROM audit_event WHERE id = 4")
    assert verify_trail(db).problem.startswith("audit event 4 is missing (deleted)")


def test_verify_names_an_inserted_audit_event(clinic, db_path):
    db, *_ = clinic
    last = _event_count(db)
    sql(
        db_path,
        "INSERT INTO audit_event (id, occurred_at, actor, workstation, action, entity, details, hash)"
        " VALUES (?, '2026-12-01 10:00:00.000000', 'mallory', 'x', 'view', 'patient', '{}', ?)",
        last + 1,
        "0" * 64,
    )
    problem = verify_trail(db).problem
    assert (
        problem.startswith(f"audit event {last + 1} (view patient") and "does not match its hash" in problem
    )


def test_verify_names_a_signed_visit_deleted_with_the_locks_dropped(clinic, db_path):
    db, visit, *_ = clinic
    sign_visit(db, visit.id)
    sql(db_path, "DROP TRIGGER lock_signed_visit_delete")
    sql(db_path, "DROP TRIGGER lock_signed_point_delete")
    sql(db_path, "DELETE FROM injection_point WHERE visit_id = ?", visit.id)
    sql(db_path, "DELETE FROM visit WHERE id = ?", visit.id)
    assert verify_trail(db).problem.startswith(
        f"visit {visit.id} was signed (audit trail) but is no longer there"
    )


def test_renaming_the_injector_never_changes_a_signed_visit(clinic):
    db, visit, dana, _ = clinic
    sign_visit(db, visit.id)
    sign_in(db, "admin", ADMIN_PASSWORD)
    update_provider(db, dana.id, "Dana Reyes-Okafor", "NP", "NP-1", True)
    record = get_visit(db, visit.id)
    assert (record.provider_name, record.provider_credentials) == ("Dana Reyes", "RN")
    assert record.signature.signer.shown == "Dana Reyes RN, licence RN-448120"
    assert verify_trail(db).ok


# Co-sign and amend


def test_a_prescriber_cosigns_an_injectors_signed_visit(clinic):
    db, visit, *_ = clinic
    with pytest.raises(PermissionRefused, match="injector accounts cannot co-sign"):
        cosign_visit(db, visit.id)
    sign_visit(db, visit.id)
    sign_in(db, "sam", SAM_PASSWORD)
    assert [p.visit_id for p in awaiting_cosign(db)] == [visit.id]
    record = cosign_visit(db, visit.id)
    assert record.signature.cosigner.name == "Sam Ortiz" and record.signature.cosigned_at is not None
    assert awaiting_cosign(db) == []
    with pytest.raises(ConflictError, match="already co-signed"):
        cosign_visit(db, visit.id)
    report = verify_trail(db)
    assert report.ok and report.cosignatures == 1


def test_an_amendment_corrects_a_signed_visit_which_stays_as_it_was(clinic):
    db, visit, *_ = clinic
    original = sign_visit(db, visit.id)
    with pytest.raises(ValidationError, match="needs its reason"):
        start_amendment(db, visit.id, "  ")
    amendment = start_amendment(db, visit.id, "corrugator dose was 6 U, not 8 U")
    assert amendment.status is VisitStatus.DRAFT and amendment.amends_visit_id == visit.id
    amendment = replace_points(
        db, amendment.id, amendment.version, [botox_point(), botox_point("corrugator_l", "6")]
    )
    sign_visit(db, amendment.id)
    assert get_visit(db, visit.id).points == original.points  # the original, unchanged
    trail = amendment_trail(db, visit.id)
    assert [(t.original_id, t.amendment_id, t.reason) for t in trail] == [
        (visit.id, amendment.id, "corrugator dose was 6 U, not 8 U")
    ]
    assert any("removed corrugator l" in c and "8 U" in c for c in trail[0].changes)
    assert any("added corrugator l" in c and "6 U" in c for c in trail[0].changes)
    with pytest.raises(ConflictError, match=f"already amended by visit {amendment.id}"):
        start_amendment(db, visit.id, "again")
    assert verify_trail(db).ok


def test_reading_the_trail_needs_an_admin_and_is_itself_audited(clinic):
    db, *_ = clinic
    with pytest.raises(PermissionRefused, match="cannot read the audit trail"):
        list(audit_log(db))
    sign_in(db, "admin", ADMIN_PASSWORD)
    entries = list(audit_log(db, chart_number="A-0001"))
    assert {e.action for e in entries} >= {"create", "chart"}
    assert all(e.chart_number == "A-0001" for e in entries)
    assert all(e.workstation for e in entries)
    earlier = list(audit_log(db))
    assert earlier[-1].action == "view" and earlier[-1].entity == "audit"  # the reading above
    sign_out(db, ACTOR)
    assert db.user is None


# The printed record and the interchange format


def _pdf_lines(pdf: bytes) -> list[str]:
    import io

    import pypdf

    return [
        line.strip()
        for page in pypdf.PdfReader(io.BytesIO(pdf)).pages
        for line in page.extract_text().splitlines()
        if line.strip()
    ]


def test_two_prints_of_a_signed_visit_differ_only_in_the_printed_on_line(clinic, patient):
    from app.exports.records import visit_record_pdf

    db, visit, dana, _ = clinic
    sign_visit(db, visit.id)
    first = _pdf_lines(visit_record_pdf(db, visit.id))
    # What changes later must not reach the signed record: a rename of the injector, a
    # later draft visit of the same area, another product interval, another day.
    sign_in(db, "admin", ADMIN_PASSWORD)
    update_provider(db, dana.id, "Dana Okafor", "NP", "NP-9", True)
    from app.services.recall import update_intervals

    update_intervals(db, "Botox Cosmetic", 60, 70)
    sign_in(db, "dana", DANA_PASSWORD)
    later = create_visit(db, patient.id, dana.id, at(2026, 11, 20), consent_recorded=True)
    replace_points(db, later.id, later.version, [botox_point()])
    second = _pdf_lines(visit_record_pdf(db, visit.id))
    differing = [(a, b) for a, b in zip(first, second, strict=True) if a != b]
    assert len(differing) <= 1 and all(line.startswith("Printed on") for pair in differing for line in pair)
    assert sum(line.startswith("Printed on") for line in first) == 1
    text = " ".join(first)
    assert "Signed electronically by Dana Reyes RN, licence RN-448120 (injector)" in text
    assert "Glabella (frown lines): Botox Cosmetic from 2027-01-31 to 2027-03-02" in text  # 90-120 days
    assert "Injector: Dana Reyes RN" in text and "Okafor" not in " ".join(second)
    assert "DRAFT" not in text


def test_a_draft_record_is_marked_and_has_a_blank_signature_line(clinic):
    from app.exports.records import visit_record_pdf

    db, visit, *_ = clinic
    text = " ".join(_pdf_lines(visit_record_pdf(db, visit.id)))
    assert "DRAFT – not signed" in text and "Signature ______" in text
    assert "Printed on" in text and "by dana (Dana Reyes, injector)" in text


def test_the_record_shows_the_cosigner_and_the_amendment_trail(clinic):
    from app.exports.records import visit_record_pdf

    db, visit, *_ = clinic
    sign_visit(db, visit.id)
    sign_in(db, "sam", SAM_PASSWORD)
    cosign_visit(db, visit.id)
    sign_in(db, "dana", DANA_PASSWORD)
    amendment = start_amendment(db, visit.id, "wrong lot recorded")
    amendment = replace_points(
        db, amendment.id, amendment.version, [botox_point(lot_number="D77"), botox_point("corrugator_l", "8")]
    )
    sign_visit(db, amendment.id)
    original = " ".join(_pdf_lines(visit_record_pdf(db, visit.id)))
    assert "Co-signed by Sam Ortiz MD, licence MD-1 (prescriber)" in original
    assert f"Visit {visit.id} amended by visit {amendment.id}" in original
    assert "Reason: wrong lot recorded" in original
    assert "removed glabella Botox Cosmetic lot C1234 4 U in 1" in original
    assert "added glabella Botox Cosmetic lot D77 4 U in 1" in original
    assert f"This record was corrected: visit {amendment.id} is the current one." in original
    current = " ".join(_pdf_lines(visit_record_pdf(db, amendment.id)))
    assert f"amended by visit {amendment.id} (this record)" in current


def test_a_signed_visit_carries_its_signer_through_a_file(clinic, tmp_path):
    from app.exports.interchange import export_patient, import_document
    from app.exports.records import visit_record_pdf
    from app.storage.database import open_database
    from tests.conftest import sqlite_url

    db, visit, *_ = clinic
    signed = sign_visit(db, visit.id)
    document = export_patient(db, "A-0001")
    exported = document["visits"][0]
    assert exported["signed_by"] == "Dana Reyes RN, licence RN-448120"
    assert datetime.fromisoformat(exported["signed_at"]) == signed.signature.signed_at.replace(
        microsecond=0
    ) or (datetime.fromisoformat(exported["signed_at"]) == signed.signature.signed_at)
    elsewhere = open_database(sqlite_url(tmp_path / "other.db"), ACTOR)
    try:
        import_document(elsewhere, document)
        copy = get_visit(elsewhere, 1)
        assert copy.status is VisitStatus.SIGNED
        assert copy.signature.signer.name == "Dana Reyes RN, licence RN-448120"
        text = " ".join(_pdf_lines(visit_record_pdf(elsewhere, 1)))
        assert "not signed in Aliquot: imported, or signed before electronic signatures" in text
        assert verify_trail(elsewhere).ok
        # Never re-imported with other content: refused, naming the visit.
        document["visits"][0]["points"][0]["amount"] = "40"
        with pytest.raises(ConflictError, match=r"visit '.*' is already in this chart with different"):
            import_document(elsewhere, document)
        # A signed visit in a file that names no signer: an unknown signer, said so.
        del document["visits"][0]["signed_by"], document["visits"][0]["signed_at"]
        document["visits"][0]["external_id"] = "from-paper"
        document["visits"][0]["points"][0]["amount"] = "4"
        import_document(elsewhere, document)
        unknown = get_visit(elsewhere, 2)
        assert unknown.signature.signer.name == UNKNOWN_SIGNER and unknown.signature.signed_at is None
        text = " ".join(_pdf_lines(visit_record_pdf(elsewhere, 2)))
        assert "Signed by an unknown signer (imported) at a time the imported file did not record" in text
    finally:
        elsewhere.close()


def test_a_large_trail_is_checked_by_two_processes_with_the_same_findings(clinic, db_path, monkeypatch):
    """bench/audit.py times a million events; here the two-process path is taken on a small
    clinic (the threshold lowered) and must name the same fault as one process."""
    from app.services import trail

    db, visit, *_ = clinic
    sign_visit(db, visit.id)
    monkeypatch.setattr(trail, "PARALLEL_FROM", 0)
    assert verify_trail(db).ok
    sql(db_path, "DROP TRIGGER lock_signed_point_update")
    sql(db_path, "UPDATE injection_point SET aliquots = 3 WHERE visit_id = ?", visit.id)
    parallel = verify_trail(db)
    monkeypatch.setattr(trail, "PARALLEL_FROM", 10**9)
    assert parallel == verify_trail(db) and not parallel.ok
    assert parallel.problem.startswith(f"visit {visit.id} was changed after it was signed")


def test_a_search_is_audited_with_its_words_and_what_it_found(db, patient):
    from app.services.patients import look_up_patients

    assert [p.chart_number for p in look_up_patients(db, "núñez")] == ["A-0001"]
    look_up_patients(db, "")  # the whole list shown: no search
    with db.factory() as session:
        searches = session.scalars(select(AuditEvent).where(AuditEvent.action == "search")).all()
    assert [(e.actor, e.details) for e in searches] == [(ACTOR, '{"found": 1, "text": "núñez"}')]
