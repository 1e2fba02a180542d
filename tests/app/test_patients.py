from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from app.patients import create_patient, get_patient, search_patients, set_archived, update_patient
from models.errors import ConflictError, NotFoundError, ValidationError
from models.records import PatientDraft
from models.tables import AuditEvent
from models.vocabulary import Sex


def add(db, chart, given, family, born=date(1980, 1, 1)):
    return create_patient(db, PatientDraft(chart, given, family, born, Sex.FEMALE))


def test_create_and_read_back(db, patient):
    stored = get_patient(db, "A-0001")
    assert (stored.given_name, stored.family_name, stored.date_of_birth) == ("Zoë", "Ångström-Núñez", date(1985, 3, 14))
    assert stored.display_name == "Ångström-Núñez, Zoë"


def test_chart_numbers_are_unique(db, patient):
    with pytest.raises(ConflictError, match="A-0001 is already in use"):
        add(db, "A-0001", "Other", "Person")


def test_search_ignores_accents_and_case_and_word_order(db, patient):
    add(db, "A-0002", "小龙", "李")
    add(db, "B-0100", "Zoe", "Smith")
    assert [p.chart_number for p in search_patients(db, "nunez zoe")] == ["A-0001"]
    assert [p.chart_number for p in search_patients(db, "ZOË")] == ["A-0001", "B-0100"]
    assert [p.chart_number for p in search_patients(db, "李")] == ["A-0002"]
    assert [p.chart_number for p in search_patients(db, "b-0100")] == ["B-0100"]
    assert search_patients(db, "100%") == []  # LIKE wildcards are taken literally
    assert len(search_patients(db, "")) == 3


def test_update_keeps_chart_unique_and_audits_fields(db, patient):
    add(db, "A-0002", "Mei", "Chen")
    draft = PatientDraft("A-0001", "Zoë", "Ångström-Núñez", date(1985, 3, 14), Sex.FEMALE,
                         allergies="lidocaine")
    assert update_patient(db, patient.id, draft).allergies == "lidocaine"
    with pytest.raises(ConflictError):
        update_patient(db, patient.id, replace(draft, chart_number="A-0002"))
    with pytest.raises(ValidationError):
        update_patient(db, patient.id, replace(draft, given_name=""))
    with pytest.raises(NotFoundError):
        update_patient(db, 999, draft)
    with db.factory() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "update")).all()
    assert len(events) == 1 and '"allergies"' in events[0].details


def test_archived_patients_leave_the_search_but_keep_their_records(db, patient):
    set_archived(db, patient.id)
    assert search_patients(db, "zoe") == []
    assert [p.chart_number for p in search_patients(db, "zoe", include_archived=True)] == ["A-0001"]
    assert get_patient(db, "A-0001").archived
    set_archived(db, patient.id, False)
    assert len(search_patients(db, "zoe")) == 1


def test_search_by_date_of_birth_and_next_chart_number(db, patient):
    from app.patients import suggest_chart_number
    add(db, "A-0002", "Mei", "Chen", date(1985, 3, 14))
    add(db, "A-0010", "Ana", "Costa", date(1990, 1, 2))
    assert [p.chart_number for p in search_patients(db, "1985-03-14")] == ["A-0001", "A-0002"]
    assert [p.chart_number for p in search_patients(db, "chen 1985-03-14")] == ["A-0002"]
    assert search_patients(db, "1985-13-14") == []  # not a date: searched as text
    assert suggest_chart_number(db) == "A-0011"
    assert suggest_chart_number(db, "B-") == "B-0001"
