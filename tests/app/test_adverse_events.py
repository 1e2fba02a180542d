"""Adverse events, and a vascular occlusion's timed log printed in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.services.adverse_events import (
    close_adverse_event,
    list_adverse_events,
    log_assessment,
    log_dose,
    report_adverse_event,
)
from app.services.visits import create_visit, replace_points
from models.errors import ValidationError
from models.vocabulary import EventKind, Severity
from tests.conftest import at, botox_point


@pytest.fixture
def treated(db, patient, provider):
    filler = botox_point(
        "nasolabial_l",
        "0.8",
        product_name="Juvéderm Voluma XC",
        unit="mL",
        lot_number="VB1",
        depth="subdermal",
    )
    visit = create_visit(db, patient.id, provider.id, at(2026, 11, 2, 10))
    return replace_points(db, visit.id, visit.version, [filler])


def test_a_vascular_occlusion_log_is_kept_and_printed_in_order(db, treated):
    from app.exports.records import history_pdf, visit_record_pdf
    from tests.app.test_records import text_of

    onset = at(2026, 11, 2, 10, 20)
    event = report_adverse_event(
        db,
        "A-0001",
        EventKind.VASCULAR_OCCLUSION,
        Severity.SEVERE,
        onset,
        treated.id,
        ("nasolabial_l",),
        "blanching and pain along the left nasolabial fold",
        "massage, warm compress, hyaluronidase",
    )
    # Entered out of order: the log reads in time order whatever the order typed.
    log_assessment(db, event.id, onset + timedelta(minutes=65), Decimal("2"), "pink", 2, "normal")
    log_dose(
        db,
        event.id,
        onset + timedelta(minutes=5),
        "Hylenex",
        Decimal("300"),
        "H77",
        datetime(2028, 1, 31).date(),
        ("nasolabial_l",),
    )
    log_assessment(db, event.id, onset + timedelta(minutes=1), Decimal("5"), "mottled", 8, "normal")
    log_dose(
        db,
        event.id,
        onset + timedelta(minutes=65),
        "Hylenex",
        Decimal("300"),
        "H77",
        regions=("nasolabial_l",),
    )
    event = close_adverse_event(db, event.id, "resolved, no necrosis", onset.date() + timedelta(days=1))
    assert [line.kind.value for line in event.log] == ["assessment", "dose", "assessment", "dose"]
    assert event.log[1].words == "Hylenex 300 U (lot H77) to Nasolabial fold, left"
    text = " ".join(text_of(visit_record_pdf(db, treated.id)))
    order = [
        text.index("10:21 (+0h01) assessment: capillary refill 5 s, skin mottled, pain 8/10"),
        text.index("10:25 (+0h05) dose: Hylenex 300 U"),
        text.index("11:25 (+1h05) assessment"),
        text.index("11:25 (+1h05) dose"),
    ]
    assert order == sorted(order) and "vascular-occlusion (severe)" in text and "Outcome: resolved" in text
    history = " ".join(text_of(history_pdf(db, "A-0001")))
    assert "Adverse event: vascular-occlusion (severe)" in history


def test_hyaluronidase_is_logged_as_given_and_only_an_enzyme_is(db, treated):
    event = report_adverse_event(
        db, "A-0001", EventKind.VASCULAR_OCCLUSION, Severity.SEVERE, at(2026, 11, 2, 10, 30), treated.id
    )
    big = log_dose(
        db, event.id, at(2026, 11, 2, 10, 35), "Hylenex", Decimal("1500"), "H1", datetime(2028, 1, 1).date()
    )
    assert big.log[-1].words.startswith("Hylenex 1500 U")  # far above any usual dose: never held back
    with pytest.raises(ValidationError, match="not an enzyme"):
        log_dose(db, event.id, at(2026, 11, 2, 10, 40), "Botox Cosmetic", Decimal("4"))


def test_what_cannot_be_is_refused(db, treated, provider):
    from app.services.patients import create_patient
    from models.records import PatientDraft

    other = create_patient(db, PatientDraft("B-2", "Ana", "Lima", None))
    elsewhere = create_visit(db, other.id, provider.id, at(2026, 11, 1))
    future = datetime.now(UTC) + timedelta(hours=2)
    with pytest.raises(ValidationError, match="in the future"):
        report_adverse_event(db, "A-0001", EventKind.BRUISING, Severity.MILD, future)
    with pytest.raises(ValidationError, match=f"visit {elsewhere.id} is not one of A-0001's visits"):
        report_adverse_event(db, "A-0001", EventKind.BRUISING, Severity.MILD, at(2026, 11, 3), elsewhere.id)
    with pytest.raises(ValidationError, match="onset is before visit"):
        report_adverse_event(db, "A-0001", EventKind.BRUISING, Severity.MILD, at(2026, 11, 1), treated.id)
    with pytest.raises(ValidationError, match="is not a face region"):
        report_adverse_event(
            db, "A-0001", EventKind.BRUISING, Severity.MILD, at(2026, 11, 3), regions=("elbow",)
        )
    event = report_adverse_event(db, "A-0001", EventKind.BRUISING, Severity.MILD, at(2026, 11, 3))
    with pytest.raises(ValidationError, match="from 0 to 10"):
        log_assessment(db, event.id, at(2026, 11, 3, 11), pain=11)


def test_the_clinic_list_by_day_product_and_lot(db, treated):
    report_adverse_event(db, "A-0001", EventKind.NODULE, Severity.MODERATE, at(2026, 11, 20), treated.id)
    report_adverse_event(db, "A-0001", EventKind.HEADACHE, Severity.MILD, at(2026, 11, 3))
    assert [e.kind.value for e in list_adverse_events(db)] == ["nodule", "headache"]
    assert [e.kind.value for e in list_adverse_events(db, since=at(2026, 11, 10).date())] == ["nodule"]
    assert [
        e.kind.value for e in list_adverse_events(db, product_name="juvederm voluma xc", lot_number="VB1")
    ] == ["nodule"]
    assert list_adverse_events(db, product_name="Botox Cosmetic") == []


def test_the_command_line_records_and_lists_events(db, treated, db_path):
    import json

    from tests.app.test_cli import aliquot

    db.close()
    added = aliquot(
        "events",
        "add",
        "A-0001",
        "--kind",
        "bruising",
        "--severity",
        "mild",
        "--onset",
        "2026-11-02T18:00+00:00",
        "--visit",
        treated.id,
        "--regions",
        "nasolabial_l",
        db=db_path,
    ).stdout
    event = added.split()[2].rstrip(":")
    aliquot(
        "events",
        "assess",
        event,
        "--pain",
        "2",
        "--colour",
        "purple",
        "--at",
        "2026-11-03T09:00+00:00",
        db=db_path,
    )
    listed = json.loads(aliquot("events", "--format", "json", db=db_path).stdout)
    assert [(e["chart"], e["kind"], e["severity"], e["regions"]) for e in listed] == [
        ("A-0001", "bruising", "mild", "nasolabial_l")
    ]
    assert "skin purple, pain 2/10" in listed[0]["log"]


def test_photos_of_an_event_are_kept_with_it_even_after_its_visit_was_signed(db, db_path, provider, patient):
    import io

    import pypdf

    from app.exports.records import visit_record_pdf
    from app.services.photos import add_event_photo, event_photos, photo_image
    from app.services.signing import sign_visit
    from app.services.users import add_user, sign_in
    from models.errors import NotFoundError
    from models.vocabulary import PhotoScope, Role
    from tests.app.test_photos import camera_jpeg
    from tests.conftest import snapshot

    visit = create_visit(db, patient.id, provider.id, at(2026, 11, 2, 10), consent_recorded=True)
    visit = replace_points(db, visit.id, visit.version, [botox_point()])
    add_user(db, "admin", Role.ADMIN, "admin password 1")
    sign_in(db, "admin", "admin password 1")
    add_user(db, "dana", Role.INJECTOR, "dana password 1", provider_id=provider.id)
    sign_in(db, "dana", "dana password 1")
    sign_visit(db, visit.id)
    event = report_adverse_event(
        db, "A-0001", EventKind.EYELID_PTOSIS, Severity.MODERATE, at(2026, 11, 9, 9), visit.id, ("glabella",)
    )
    first = add_event_photo(db, event.id, camera_jpeg(600, 400), source_name="ptosis.jpg")
    add_event_photo(db, event.id, camera_jpeg(500, 400), PhotoScope.TEACHING, pose="eyes-open")
    shown = event_photos(db, event.id)
    assert [(p.pose, p.visit_id, p.adverse_event_id, p.patient_id) for p in shown] == [
        ("close-up", None, event.id, patient.id),
        ("eyes-open", None, event.id, patient.id),
    ]
    record, image = photo_image(db, first.id)
    assert record == shown[0] and image[:2] == b"\xff\xd8"

    reader = pypdf.PdfReader(io.BytesIO(visit_record_pdf(db, visit.id)))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "eyelid-ptosis" in text and "close-up" in text and "eyes-open" in text
    assert sum(len(page.images) for page in reader.pages) >= 2
    teaching = pypdf.PdfReader(io.BytesIO(visit_record_pdf(db, visit.id, PhotoScope.TEACHING)))
    text = " ".join(page.extract_text() for page in teaching.pages)
    assert "eyes-open" in text and "close-up" not in text, "a clinical-only photo never leaves the record"

    before = snapshot(db)
    with pytest.raises(NotFoundError, match="no adverse event 99"):
        add_event_photo(db, 99, camera_jpeg())
    with pytest.raises(ValidationError):
        add_event_photo(db, event.id, b"GIF89a not a photo")
    assert snapshot(db) == before


def test_the_command_line_adds_photos_to_an_event(db, treated, db_path, tmp_path):
    from app.services.photos import event_photos
    from tests.app.test_cli import aliquot, assert_one_line_refusal
    from tests.app.test_photos import camera_jpeg

    event = report_adverse_event(
        db, "A-0001", EventKind.NODULE, Severity.MILD, at(2026, 11, 20, 9), treated.id
    )
    db.close()
    photo = tmp_path / "nodule.jpg"
    photo.write_bytes(camera_jpeg())
    added = aliquot("events", "photo", event.id, photo, db=db_path).stdout
    assert added.strip().endswith(f"nodule.jpg (600 × 400, close-up) added to event {event.id}")
    refused = aliquot("events", "photo", event.id, tmp_path / "missing.jpg", db=db_path, check=False)
    assert_one_line_refusal(refused, "missing.jpg: no such file")
    assert len(event_photos(db, event.id)) == 1


def test_the_history_prints_an_event_after_no_visit_and_every_event_s_photos(db, treated):
    import io

    import pypdf

    from app.exports.records import history_pdf
    from app.services.photos import add_event_photo
    from models.vocabulary import PhotoScope
    from tests.app.test_photos import camera_jpeg

    after = report_adverse_event(
        db, "A-0001", EventKind.NODULE, Severity.MILD, at(2026, 11, 20, 9), treated.id
    )
    add_event_photo(db, after.id, camera_jpeg(600, 400), PhotoScope.CLINICAL)
    report_adverse_event(
        db,
        "A-0001",
        EventKind.HYPERSENSITIVITY,
        Severity.MODERATE,
        at(2026, 11, 25, 9),
        None,
        ("upper_lip_l",),
        "swelling of the upper lip, treated elsewhere",
        referral="the family doctor",
    )
    reader = pypdf.PdfReader(io.BytesIO(history_pdf(db, "A-0001")))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Adverse events: photos, and those after no visit" in text
    assert "hypersensitivity (moderate)" in text and "Referred: the family doctor" in text
    assert "close-up" in text and sum(len(page.images) for page in reader.pages) >= 1
