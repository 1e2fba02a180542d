from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from app.services.patients import create_patient, get_patient, search_patients, set_archived, update_patient
from models.errors import ConflictError, NotFoundError, ValidationError
from models.records import PatientDraft
from models.tables import AuditEvent
from models.vocabulary import Sex


def add(db, chart, given, family, born=date(1980, 1, 1)):
    return create_patient(db, PatientDraft(chart, given, family, born, Sex.FEMALE))


def test_create_and_read_back(db, patient):
    stored = get_patient(db, "A-0001")
    assert (stored.given_name, stored.family_name, stored.date_of_birth) == (
        "Zoë",
        "Ångström-Núñez",
        date(1985, 3, 14),
    )
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
    draft = PatientDraft(
        "A-0001", "Zoë", "Ångström-Núñez", date(1985, 3, 14), Sex.FEMALE, allergies="lidocaine"
    )
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
    from app.services.patients import suggest_chart_number

    add(db, "A-0002", "Mei", "Chen", date(1985, 3, 14))
    add(db, "A-0010", "Ana", "Costa", date(1990, 1, 2))
    assert [p.chart_number for p in search_patients(db, "1985-03-14")] == ["A-0001", "A-0002"]
    assert [p.chart_number for p in search_patients(db, "chen 1985-03-14")] == ["A-0002"]
    assert search_patients(db, "1985-13-14") == []  # not a date: searched as text
    assert suggest_chart_number(db) == "A-0011"
    assert suggest_chart_number(db, "B-") == "B-0001"


# A chart number is one identity whatever its letter case.


def test_a_recased_chart_number_is_already_in_use(db, patient):
    with pytest.raises(ConflictError, match="^chart number A-0001 is already in use"):
        add(db, "a-0001", "Other", "Person")
    assert [p.chart_number for p in search_patients(db, include_archived=True)] == ["A-0001"]
    assert get_patient(db, "a-0001").id == patient.id


def test_a_patients_own_chart_number_can_be_recased_but_not_to_anothers(db, patient):
    other = add(db, "B-0001", "Mei", "Chen")
    draft = PatientDraft("a-0001", "Zoë", "Ångström-Núñez", date(1985, 3, 14), Sex.FEMALE)
    assert update_patient(db, patient.id, draft).chart_number == "a-0001"
    with pytest.raises(ConflictError, match="chart number a-0001 is already in use"):
        update_patient(
            db, other.id, replace(draft, chart_number="A-0001", given_name="Mei", family_name="Chen")
        )


def test_a_chart_number_kept_from_before_the_rule_can_still_be_edited(db, patient):
    """Chart numbers with '/' were allowed once: their patients' details stay editable,
    only a new or changed chart number must follow today's rule."""
    from sqlalchemy import text

    with db.engine.begin() as connection:
        connection.execute(text("UPDATE patient SET chart_number = '2024/17', chart_key = '2024/17'"))
    draft = PatientDraft("2024/17", "Zoë", "Ångström-Núñez", date(1985, 3, 14), Sex.FEMALE, phone="555")
    assert update_patient(db, patient.id, draft).phone == "555"
    with pytest.raises(ValidationError, match="chart number '2024/18' may only hold"):
        update_patient(db, patient.id, replace(draft, chart_number="2024/18"))


def test_the_next_chart_number_counts_every_letter_case(db):
    from app.services.patients import suggest_chart_number

    add(db, "A-0201", "Mei", "Chen")
    add(db, "a-0200", "Ana", "Costa")
    assert suggest_chart_number(db) == "A-0202"
