"""Schema migrations: empty to head, down and up again, newer databases refused,
older ones backed up and upgraded."""

import hashlib
import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from sqlalchemy import text

from app.storage.database import connect, open_database
from models import database as schema
from models import search_index
from models.errors import DatabaseError
from models.tables import Base
from tests.conftest import ACTOR, checkpoint, snapshot, sqlite_url


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_empty_to_head_matches_the_tables(tmp_path):
    engine = schema.make_engine(sqlite_url(tmp_path / "new.db"))
    schema.upgrade(engine)
    assert schema.current_revision(engine) == schema.head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(schema.migration_context(connection), Base.metadata)
    assert differences == [], "the migrations and models/tables.py disagree"
    engine.dispose()


def test_downgrade_then_upgrade_round_trip(tmp_path):
    engine = schema.make_engine(sqlite_url(tmp_path / "round.db"))
    schema.upgrade(engine)
    schema.downgrade(engine, "base")
    assert schema.current_revision(engine) is None
    assert schema.user_tables(engine) == []
    schema.upgrade(engine)
    assert set(schema.user_tables(engine)) == set(Base.metadata.tables)
    engine.dispose()


def test_newer_database_is_refused_and_left_untouched(db_path):
    engine = schema.make_engine(sqlite_url(db_path))
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    checkpoint(engine)
    engine.dispose()
    before = digest(db_path)
    with pytest.raises(
        DatabaseError, match="written by a newer version of Aliquot .schema 9999_future.*left as it is"
    ):
        open_database(sqlite_url(db_path), ACTOR)
    assert digest(db_path) == before
    assert not list(db_path.parent.glob("*.before-*"))


def test_foreign_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    engine = schema.make_engine(sqlite_url(path))
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    engine.dispose()
    with pytest.raises(DatabaseError, match="not an Aliquot database"):
        open_database(sqlite_url(path), ACTOR)
    assert schema.user_tables(schema.make_engine(sqlite_url(path))) == ["invoices"]


NEXT_REVISION = """
from alembic import op
import sqlalchemy as sa

revision = "0999_test"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    # Rebuilding a table that others point to (SQLite copies and drops it) must not
    # cascade into its children: the visit's injection points have to survive; nor lose
    # the patient table's search index triggers.
    rebuild = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("patient", recreate=rebuild) as batch:
        batch.add_column(sa.Column("nickname", sa.String(40), nullable=True))
    with op.batch_alter_table("visit", recreate=rebuild) as batch:
        batch.add_column(sa.Column("room", sa.String(40), nullable=True))


def downgrade():
    with op.batch_alter_table("visit") as batch:
        batch.drop_column("room")
    with op.batch_alter_table("patient") as batch:
        batch.drop_column("nickname")
"""


def test_older_database_is_backed_up_then_upgraded(db, patient, provider, tmp_path, monkeypatch):
    """A later version of Aliquot (simulated by one more migration) opens today's database."""
    from app.services.visits import create_visit, replace_points
    from tests.conftest import at, botox_point

    visit = create_visit(db, patient.id, provider.id, at(2025, 1, 10))
    replace_points(db, visit.id, visit.version, [botox_point("procerus"), botox_point("glabella")])
    before = {t: rows for t, rows in snapshot(db).items() if t != "alembic_version"}
    db.close()
    db_path = Path(db.url.database)
    newer = tmp_path / "newer-migrations"
    shutil.copytree(schema.MIGRATIONS_DIR, newer)
    (newer / "versions" / "0999_test.py").write_text(NEXT_REVISION.format(head=schema.head_revision()))
    monkeypatch.setattr(schema, "MIGRATIONS_DIR", newer)

    upgraded = open_database(sqlite_url(db_path), ACTOR)
    assert schema.current_revision(upgraded.engine) == "0999_test"
    with upgraded.engine.connect() as connection:
        assert connection.execute(text("SELECT given_name, nickname FROM patient")).one() == ("Zoë", None)
        assert connection.execute(text("SELECT count(*) FROM injection_point")).scalar() == 2
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # back on
        # the copied patient table got the search index's triggers back, and the index its rows
        triggers = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'patient'"
        ).scalars()
        assert set(search_index.TRIGGERS) <= set(triggers)
        assert (
            connection.exec_driver_sql(
                "SELECT count(*) FROM patient_search_trigram WHERE trigram = 'zoe'"
            ).scalar()
            == 1
        )
        event = connection.execute(
            text("SELECT details FROM audit_event WHERE action = 'upgrade'")
        ).scalar_one()
    after = snapshot(upgraded)
    for table in ("injection_point", "lot", "product", "provider", "app_meta"):
        assert after[table] == before[table], f"{table} changed in the upgrade"
    upgraded.close()
    backups = list(db_path.parent.glob("clinic.before-0999_test.*.db"))
    assert len(backups) == 1 and str(backups[0]) in event
    old = connect(sqlite_url(backups[0]), ACTOR)
    assert (
        schema.current_revision(old.engine)
        == schema.script_directory().get_revision("0999_test").down_revision
    )
    with old.engine.connect() as connection:
        assert connection.execute(text("SELECT given_name FROM patient")).scalar_one() == "Zoë"
    old.close()


def lot_columns(engine) -> set[str]:
    with engine.connect() as connection:
        return {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(lot)")}


def test_lot_package_size_up_and_down_keeps_the_lots(tmp_path):
    """0007 gives lots a vial or syringe size, unknown (NULL) for the lots registered before."""
    engine = schema.make_engine(sqlite_url(tmp_path / "sizes.db"))
    schema.upgrade(engine, "0006")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO product (id, name, name_key, manufacturer, generic_name, kind, dose_unit,"
            " package_size, colour, source, active) VALUES (1, 'Botox Cosmetic', 'botox cosmetic', '', '',"
            " 'neuromodulator', 'U', 100, '#123456', '', 1)"
        )
        connection.exec_driver_sql("INSERT INTO lot (product_id, number, notes) VALUES (1, 'C1', '')")
    assert "package_size" not in lot_columns(engine)
    schema.upgrade(engine, "0007")
    with engine.begin() as connection:
        assert connection.exec_driver_sql("SELECT package_size FROM lot").scalar_one() is None
        connection.exec_driver_sql("UPDATE lot SET package_size = 50")
    schema.downgrade(engine, "0006")
    assert "package_size" not in lot_columns(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT number FROM lot").scalars().all() == ["C1"]
    engine.dispose()


def test_visits_signed_before_0009_are_sealed_and_chained_by_the_upgrade(db_path, patient, provider, db):
    """A database whose visits were marked signed (an import, a demo) before signatures were
    kept: the upgrade seals each as it stands and chains the seals, so verify checks them."""
    from app.services.trail import verify_trail
    from app.services.visits import create_visit, get_visit, replace_points
    from tests.conftest import at, botox_point

    visit = create_visit(db, patient.id, provider.id, at(2026, 10, 1), consent_recorded=True)
    replace_points(db, visit.id, visit.version, [botox_point()])
    db.close()
    engine = schema.make_engine(sqlite_url(db_path))
    schema.downgrade(engine, "0008")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE visit SET status = 'signed', signed_by_id = ?, signed_at = '2026-10-01 10:40:00.000000'",
            (provider.id,),
        )
    schema.upgrade(engine)
    engine.dispose()
    upgraded = open_database(sqlite_url(db_path), ACTOR)
    try:
        report = verify_trail(upgraded)
        assert report.ok and report.signed_visits == 1, report.summary()
        signature = get_visit(upgraded, visit.id).signature
        assert signature.signer.name == "Dana Reyes" and signature.signer.role == ""
        assert signature.signed_at.isoformat() == "2026-10-01T10:40:00+00:00"
        with (
            pytest.raises(Exception, match="signed visit is locked"),
            upgraded.engine.begin() as connection,
        ):
            connection.exec_driver_sql("UPDATE injection_point SET amount = 40")
    finally:
        upgraded.close()


def test_vials_mixed_before_0014_keep_their_points_linked(db_path, patient, provider, db):
    """0014 moves the mixed vials into opened_package and links the points already charted
    from them; down again, the vials go back as they were."""
    from datetime import UTC, date, datetime, timedelta
    from decimal import Decimal

    from app.services.packages import mix_vial
    from app.services.stock import receive_stock
    from app.services.visits import create_visit, replace_points
    from tests.conftest import botox_point

    now = datetime.now(UTC).replace(microsecond=0)
    receive_stock(db, "Botox Cosmetic", "C1234", date(2030, 12, 31), 1, Decimal("100"))
    small = mix_vial(
        db, "Botox Cosmetic", "C1234", Decimal(10), Decimal("0.25"), mixed_at=now - timedelta(minutes=50)
    )
    vial = mix_vial(db, "Botox Cosmetic", "C1234", mixed_at=now - timedelta(minutes=40))
    visit = create_visit(db, patient.id, provider.id, now - timedelta(minutes=30))
    replace_points(db, visit.id, visit.version, [botox_point("corrugator_l", "8"), botox_point()])
    db.close()
    engine = schema.make_engine(sqlite_url(db_path))
    schema.downgrade(engine, "0013")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT id, vial_size FROM reconstitution ORDER BY id").all() == [
            (small.id, 10),
            (vial.id, 100),
        ]
    schema.upgrade(engine)
    with engine.connect() as connection:
        # 8 U from the small vial (10 U), then 4 U no longer fits in it: from the next one
        assert connection.exec_driver_sql(
            "SELECT package_id FROM injection_point ORDER BY position"
        ).scalars().all() == [small.id, vial.id]
        assert connection.exec_driver_sql(
            "SELECT kind, size, finish FROM opened_package ORDER BY id"
        ).all() == [
            ("vial", 10, None),
            ("vial", 100, None),
        ]
    engine.dispose()
