"""Migration 0004: a chart number, and a visit's external id within its chart, are the same
record whatever their letter case. A database that already holds such duplicates keeps
every record: the later duplicates are renamed, visibly and in the audit trail, never merged.

Runs on SQLite, and on PostgreSQL when $ALIQUOT_TEST_POSTGRES names a test server."""

import json
import os

import pytest
from sqlalchemy import create_engine, exc, text
from sqlalchemy.engine import make_url

from models import database as schema
from tests.conftest import sqlite_url

NOW = "2025-01-10 10:00:00"


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        engine = schema.make_engine(sqlite_url(tmp_path / "old.db"))
    else:
        url = os.environ.get("ALIQUOT_TEST_POSTGRES")
        if not url:
            pytest.skip("no PostgreSQL test server (set ALIQUOT_TEST_POSTGRES)")
        cleaner = create_engine(make_url(url))
        with cleaner.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        cleaner.dispose()
        engine = schema.make_engine(make_url(url))
    yield engine
    engine.dispose()


def add_patient(connection, chart_number: str, given: str) -> int:
    return connection.execute(
        text(
            "INSERT INTO patient (chart_number, given_name, family_name, search_key, sex, allergies,"
            " medical_notes, archived, created_at, updated_at) VALUES (:chart, :given, 'Costa',"
            " :key, 'female', '', '', false, :now, :now) RETURNING id"
        ),
        {"chart": chart_number, "given": given, "key": f"costa {given} {chart_number}".lower(), "now": NOW},
    ).scalar_one()


def add_visit(connection, patient_id: int, provider_id: int, external_id: str) -> int:
    return connection.execute(
        text(
            "INSERT INTO visit (patient_id, provider_id, started_at, status, concern, notes,"
            " consent_recorded, version, external_id, created_at, updated_at) VALUES (:patient,"
            " :provider, :now, 'signed', '', '', true, 1, :external, :now, :now) RETURNING id"
        ),
        {"patient": patient_id, "provider": provider_id, "external": external_id, "now": NOW},
    ).scalar_one()


def old_clinic(engine):
    """A database of revision 0003, written by a version that matched case-sensitively."""
    schema.upgrade(engine, "0003")
    with engine.begin() as connection:
        provider = connection.execute(
            text(
                "INSERT INTO provider (display_name, name_key, credentials, active)"
                " VALUES ('Dana Reyes', 'dana reyes', 'RN', true) RETURNING id"
            )
        ).scalar_one()
        first = add_patient(connection, "A-0001", "Ana")
        second = add_patient(connection, "a-0001", "Bea")
        third = add_patient(connection, "A-0002", "Cleo")
        visits = [
            add_visit(connection, first, provider, "v1"),
            add_visit(connection, first, provider, "V1"),
            add_visit(connection, second, provider, "v1"),
            add_visit(connection, third, provider, "Été-1"),
            add_visit(connection, third, provider, "ÉTÉ-1"),
        ]
    return (first, second, third), visits


def test_case_duplicates_are_kept_and_renamed_not_merged(engine):
    (first, second, third), visits = old_clinic(engine)
    schema.upgrade(engine)
    with engine.connect() as connection:
        patients = connection.execute(
            text("SELECT id, chart_number, given_name FROM patient ORDER BY id")
        ).all()
        stored_visits = connection.execute(
            text("SELECT id, patient_id, external_id FROM visit ORDER BY id")
        ).all()
        events = connection.execute(
            text("SELECT entity, entity_id, action, details FROM audit_event ORDER BY id")
        ).all()
    # The first record of each name keeps it; the later one is renamed, nothing is merged.
    assert [tuple(p) for p in patients] == [
        (first, "A-0001", "Ana"),
        (second, "a-0001-DUP1", "Bea"),
        (third, "A-0002", "Cleo"),
    ]
    assert [tuple(v) for v in stored_visits] == [
        (visits[0], first, "v1"),
        (visits[1], first, "V1-DUP1"),
        (visits[2], second, "v1"),
        (visits[3], third, "Été-1"),
        (visits[4], third, "ÉTÉ-1-DUP1"),
    ]
    renamed = {(e.entity, int(e.entity_id)): json.loads(e.details) for e in events if e.action == "rename"}
    assert renamed[("patient", second)]["chart_number"] == {"from": "a-0001", "to": "a-0001-DUP1"}
    assert "letter case" in renamed[("patient", second)]["reason"]
    assert renamed[("visit", visits[1])]["external_id"] == {"from": "V1", "to": "V1-DUP1"}
    assert set(renamed) == {("patient", second), ("visit", visits[1]), ("visit", visits[4])}


def test_the_database_refuses_a_recased_chart_number_or_external_id(engine):
    (first, _, _), _ = old_clinic(engine)
    schema.upgrade(engine)
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO patient (chart_number, chart_key, given_name, family_name, search_key, sex,"
                " allergies, medical_notes, archived, created_at, updated_at) VALUES ('a-0002', 'a-0002',"
                " 'X', 'Y', 'y x', 'female', '', '', false, :now, :now)"
            ),
            {"now": NOW},
        )
    with pytest.raises(exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO visit (patient_id, provider_id, started_at, status, concern, notes,"
                " consent_recorded, version, external_id, external_key, created_at, updated_at)"
                " SELECT patient_id, provider_id, started_at, status, concern, notes, consent_recorded,"
                " 1, 'V1', 'v1', created_at, updated_at FROM visit WHERE patient_id = :p LIMIT 1"
            ),
            {"p": first},
        )


def test_downgrade_keeps_the_renamed_records(engine):
    old_clinic(engine)
    schema.upgrade(engine)
    schema.downgrade(engine, "0003")
    with engine.connect() as connection:
        charts = connection.execute(text("SELECT chart_number FROM patient ORDER BY id")).scalars().all()
        assert connection.execute(text("SELECT count(*) FROM visit")).scalar_one() == 5
    assert charts == ["A-0001", "a-0001-DUP1", "A-0002"]
    schema.upgrade(engine)
    assert schema.current_revision(engine) == schema.head_revision()
