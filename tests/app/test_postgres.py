"""The same schema and services on PostgreSQL, the database of multi-workstation clinics.

Runs against the server named by $ALIQUOT_TEST_POSTGRES (CI starts one with .ci/postgres).
Without it the tests are skipped on a developer's machine and fail in CI.
"""

import copy
import os
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.demo import generate_demo
from app.exports.interchange import export_patient, import_document
from app.services.patients import create_patient, search_patients
from app.services.providers import create_provider
from app.services.visits import create_visit, get_visit, list_visits, replace_points
from app.storage.database import open_database
from models import database as schema
from models import search_index
from models.errors import ConflictError, DatabaseError
from models.records import PatientDraft
from models.tables import Base
from models.vocabulary import Sex
from tests.app.test_interchange import rich_document
from tests.conftest import ACTOR, at, botox_point


@pytest.fixture(scope="module")
def pg_url():
    url = os.environ.get("ALIQUOT_TEST_POSTGRES")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must test PostgreSQL: set ALIQUOT_TEST_POSTGRES (see .ci/run)")
        pytest.skip("no PostgreSQL test server (set ALIQUOT_TEST_POSTGRES)")
    return make_url(url)


@pytest.fixture
def pg_db(pg_url):
    engine = create_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    database = open_database(pg_url, ACTOR)
    yield database
    database.close()


def test_migrations_match_the_tables_and_round_trip(pg_db):
    with pg_db.engine.connect() as connection:
        assert compare_metadata(schema.migration_context(connection), Base.metadata) == []
    schema.downgrade(pg_db.engine, "base")
    assert schema.user_tables(pg_db.engine) == []
    schema.upgrade(pg_db.engine)
    assert schema.current_revision(pg_db.engine) == schema.head_revision()


def test_newer_server_schema_is_refused(pg_db, pg_url):
    with pg_db.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    with pytest.raises(DatabaseError, match="newer version of Aliquot"):
        open_database(pg_url, ACTOR)


def test_interchange_round_trip_and_repeat(pg_db):
    import_document(pg_db, rich_document(), "zoe.json")
    exported = export_patient(pg_db, "A-0001")
    assert exported["visits"][1]["points"][1]["amount"] == "0.1"
    assert exported["visits"][1]["started_at"] == "2025-04-22T19:30:00+00:00"
    result = import_document(pg_db, copy.deepcopy(exported), "again.json")
    assert (result.visits_added, result.visits_unchanged) == (0, 2)
    assert export_patient(pg_db, "A-0001") == exported
    assert [p.chart_number for p in search_patients(pg_db, "NUNEZ zoë")] == ["A-0001"]


def test_times_and_amounts_are_exact(pg_db):
    import_document(pg_db, rich_document(), "zoe.json")
    [_first, second] = list_visits(pg_db, "A-0001")
    assert second.started_at == datetime(2025, 4, 22, 15, 30, tzinfo=timezone(timedelta(hours=-4)))
    assert second.started_at.utcoffset() == timedelta(0)
    assert {t.product_name: t.amount for t in second.totals} == {
        "Dysport": Decimal(30),
        "Juvéderm Voluma XC": Decimal("0.1"),
    }


def test_optimistic_locking_between_workstations(pg_db, pg_url):
    import_document(pg_db, rich_document(), "zoe.json")
    patient = search_patients(pg_db, "zoe")[0]
    provider_id = 1
    visit = create_visit(pg_db, patient.id, provider_id, at(2026, 1, 5))
    other_workstation = open_database(pg_url, "other@front-desk")
    replace_points(other_workstation, visit.id, visit.version, [botox_point(lot_number="C9")])
    with pytest.raises(ConflictError, match="changed on another workstation"):
        replace_points(pg_db, visit.id, visit.version, [botox_point(amount="8")])
    assert get_visit(pg_db, visit.id).points[0].amount == Decimal(4)
    other_workstation.close()


def test_demo_clinic_on_postgres(pg_db):
    report = generate_demo(pg_db, patients=25, seed=5, as_of=date(2026, 11, 1))
    assert report.patients == 25 and report.points > 0
    assert len(search_patients(pg_db, include_archived=True)) == 25
    # Rows inserted in bulk with their own keys must not trip the next ordinary insert.
    patient = create_patient(pg_db, PatientDraft("N-1", "Mei", "Chen", date(1990, 5, 1)))
    visit = create_visit(pg_db, patient.id, 1, at(2026, 11, 2))
    assert visit.id > max(v.id for v in list_visits(pg_db, "A-0001"))


def test_integrity_check_on_the_server(pg_db):
    from app.storage.database import check_integrity

    report = check_integrity(pg_db)
    assert report.ok and report.revision == report.head and report.problems == []


def test_an_older_server_schema_waits_for_an_explicit_upgrade(pg_db, pg_url, tmp_path, monkeypatch):
    """A later Aliquot (one more migration) never migrates a shared server on its own."""
    import shutil

    from app.storage.database import upgrade_server
    from tests.models.test_migrations import NEXT_REVISION

    newer = tmp_path / "newer-migrations"
    shutil.copytree(schema.MIGRATIONS_DIR, newer)
    (newer / "versions" / "0999_test.py").write_text(NEXT_REVISION.format(head=schema.head_revision()))
    import_document(pg_db, rich_document(), "zoe.json")
    monkeypatch.setattr(schema, "MIGRATIONS_DIR", newer)
    with pytest.raises(DatabaseError, match="needs an upgrade .*pg_dump.*aliquot db upgrade"):
        open_database(pg_url, ACTOR)
    status = upgrade_server(pg_db)
    assert status.current == "0999_test"
    reopened = open_database(pg_url, ACTOR)
    assert len(list_visits(reopened, "A-0001")) == 2
    reopened.close()


def test_search_uses_a_trigram_index_and_finds_what_the_scan_finds(pg_db):
    """0008 builds a pg_trgm GIN index on patient.search_key where the server allows it."""
    from tests.models.test_search_index import scan

    with pg_db.engine.connect() as connection:
        has_trgm = connection.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first()
        indexes = set(
            connection.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'patient'")).scalars()
        )
    assert (search_index.PG_INDEX in indexes) == bool(has_trgm)
    generate_demo(pg_db, patients=60, seed=3, as_of=date(2026, 1, 1))
    for typed in ("gar", "garcia an", "ana", "a-0001", "%", "zz_q", "李"):
        assert search_patients(pg_db, typed) == scan(pg_db, typed), typed
    schema.downgrade(pg_db.engine, "0007")
    with pg_db.engine.connect() as connection:
        names = connection.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'patient'")
        ).scalars()
        assert search_index.PG_INDEX not in set(names)
    schema.upgrade(pg_db.engine)


def test_signed_visits_and_the_trail_are_locked_on_the_server(pg_db, pg_url):
    from sqlalchemy.exc import DBAPIError

    from app.services.signing import sign_visit
    from app.services.trail import verify_trail
    from app.services.users import add_user, sign_in
    from models.vocabulary import Role

    patient = create_patient(pg_db, PatientDraft("P-1", "ليلى", "حداد", date(1980, 1, 1), Sex.FEMALE))
    dana = create_provider(pg_db, "Dana Reyes", "RN")
    add_user(pg_db, "admin", Role.ADMIN, "admin password 1")
    sign_in(pg_db, "admin", "admin password 1")
    add_user(pg_db, "dana", Role.INJECTOR, "dana password 1", provider_id=dana.id)
    sign_in(pg_db, "dana", "dana password 1")
    visit = create_visit(pg_db, patient.id, dana.id, at(2026, 11, 2), consent_recorded=True)
    visit = replace_points(pg_db, visit.id, visit.version, [botox_point()])
    sign_visit(pg_db, visit.id)
    assert verify_trail(pg_db).ok
    engine = create_engine(pg_url)
    try:
        for statement in (
            f"UPDATE injection_point SET amount = 400 WHERE visit_id = {visit.id}",
            f"DELETE FROM visit WHERE id = {visit.id}",
            "UPDATE audit_event SET actor = 'x'",
            "DELETE FROM audit_event",
            "TRUNCATE audit_event",
        ):
            with (
                pytest.raises(DBAPIError, match="signed visit is locked|never changed"),
                engine.begin() as connection,
            ):
                connection.execute(text(statement))
        with engine.begin() as connection:
            connection.execute(text("DROP TRIGGER lock_signed_point ON injection_point"))
            connection.execute(text(f"UPDATE injection_point SET amount = 400 WHERE visit_id = {visit.id}"))
    finally:
        engine.dispose()
    assert verify_trail(pg_db).problem.startswith(f"visit {visit.id} was changed after it was signed")


def test_photos_are_kept_and_checked_on_the_server(pg_db):
    import hashlib

    from app.services.photos import add_photo, check_photos, list_photos, photo_image
    from tests.app.test_photos import camera_jpeg

    patient = create_patient(pg_db, PatientDraft("P-2", "山田", "花子", date(1980, 1, 1), Sex.FEMALE))
    provider = create_provider(pg_db, "Dana Reyes", "RN")
    visit = create_visit(pg_db, patient.id, provider.id, at(2026, 11, 2))
    added = add_photo(pg_db, visit.id, camera_jpeg(orientation=6), "rest", source_name="IMG_1.JPG")
    [listed] = list_photos(pg_db, "P-2")
    assert (listed.width, listed.height, listed.sha256) == (400, 600, added.sha256)
    _, image = photo_image(pg_db, added.id)
    assert hashlib.sha256(image).hexdigest() == added.sha256
    assert check_photos(pg_db) == []


def test_vials_syringes_and_stock_on_the_server(pg_db):
    """The points drawn from each vial and syringe, and the stock report's sums of what is
    left in them, are the same on PostgreSQL (NUMERIC) as on SQLite."""
    from app.services.adverse_events import report_adverse_event
    from app.services.packages import finish_package, mix_vial, open_packages, open_syringe
    from app.services.photos import add_event_photo, event_photos
    from app.services.stock import receive_stock, stock_on_hand
    from models.vocabulary import EventKind, Severity
    from tests.app.test_photos import camera_jpeg

    now = datetime.now(UTC).replace(microsecond=0)
    patient = create_patient(pg_db, PatientDraft("P-3", "Núñez", "Zoë", date(1980, 1, 1), Sex.FEMALE))
    provider = create_provider(pg_db, "Dana Reyes", "RN")
    receive_stock(
        pg_db, "Botox Cosmetic", "C1234", date(2030, 12, 31), 2, Decimal(100), received_on=now.date()
    )
    receive_stock(
        pg_db, "Juvéderm Voluma XC", "V1", date(2030, 12, 31), 2, Decimal(1), received_on=now.date()
    )
    vial = mix_vial(pg_db, "Botox Cosmetic", "C1234", mixed_at=now - timedelta(minutes=30))
    syringe = open_syringe(pg_db, "Juvéderm Voluma XC", "V1", opened_at=now - timedelta(minutes=30))
    visit = create_visit(pg_db, patient.id, provider.id, now - timedelta(minutes=20))
    filler = botox_point(
        "cheek_l",
        "0.35",
        product_name="Juvéderm Voluma XC",
        unit="mL",
        lot_number="V1",
        depth="supraperiosteal",
    )
    replace_points(pg_db, visit.id, visit.version, [botox_point("glabella", "12.5"), filler])
    assert {p.id: p.left for p in open_packages(pg_db)} == {
        vial.id: Decimal("87.5"),
        syringe.id: Decimal("0.65"),
    }
    finish_package(pg_db, syringe.id, wasted=True)
    lots = {s.lot: s for s in stock_on_hand(pg_db).lots}
    assert (lots["C1234"].left_in_open, lots["C1234"].on_hand, lots["C1234"].open_packages) == (
        Decimal("87.5"),
        Decimal("187.5"),
        1,
    )
    assert (lots["V1"].wasted, lots["V1"].on_hand) == (Decimal("0.65"), Decimal(1))
    event = report_adverse_event(
        pg_db, "P-3", EventKind.BRUISING, Severity.MILD, now - timedelta(minutes=5), visit.id
    )
    add_event_photo(pg_db, event.id, camera_jpeg())
    assert [p.adverse_event_id for p in event_photos(pg_db, event.id)] == [event.id]


def test_two_workstations_drawing_from_one_vial_take_turns(pg_db, pg_url):
    """While one workstation's save is drawing from a vial, another's waits for it (here it
    gives up after 0.3 s): neither can read "20 U left" while the other takes them."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    from app.services.packages import _lot_packages, mix_vial
    from app.services.stock import receive_stock
    from tests.conftest import snapshot

    now = datetime.now(UTC).replace(microsecond=0)
    patient = create_patient(pg_db, PatientDraft("P-4", "Ito", "Kenji", date(1980, 1, 1), Sex.MALE))
    provider = create_provider(pg_db, "Dana Reyes", "RN")
    receive_stock(
        pg_db, "Botox Cosmetic", "C1234", date(2030, 12, 31), 1, Decimal(100), received_on=now.date()
    )
    mix_vial(pg_db, "Botox Cosmetic", "C1234", mixed_at=now - timedelta(minutes=30))
    visit = create_visit(pg_db, patient.id, provider.id, now - timedelta(minutes=20))
    other = open_database(pg_url, "other@room-2")

    @event.listens_for(other.engine, "connect")
    def _impatient(connection, _record):  # type: ignore[no-untyped-def]
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")

    other.engine.dispose()
    with pg_db.factory.begin() as session:  # a save on this workstation, drawing from the vial
        lot_id = session.execute(text("SELECT id FROM lot WHERE number = 'C1234'")).scalar_one()
        assert _lot_packages(session, {lot_id}, now)
        before = snapshot(pg_db)
        with pytest.raises(OperationalError, match="lock timeout"):  # it waited, then gave up
            replace_points(other, visit.id, visit.version, [botox_point()])
    assert snapshot(pg_db) == before
    other.close()
