import json
import os
import re
from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from app.services.catalogue import list_products, seed_catalogue
from app.storage.config import database_url
from app.storage.database import backup_sqlite, check_integrity, connect, open_database
from models.catalogue import bundled_catalogue
from models.errors import DatabaseError
from models.tables import AuditEvent, Product
from models.vocabulary import DoseUnit, ProductKind
from tests.conftest import ACTOR, sqlite_url


def test_every_sqlite_connection_is_tuned(db):
    with db.engine.connect() as connection:

        def pragma(name):
            return connection.exec_driver_sql(f"PRAGMA {name}").scalar()

        assert pragma("foreign_keys") == 1
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("busy_timeout") >= 5000


def test_foreign_keys_are_enforced(db):
    with pytest.raises(Exception, match="FOREIGN KEY"), db.engine.begin() as connection:
        connection.execute(text("INSERT INTO lot (product_id, number, notes) VALUES (9999, 'X', '')"))


def test_catalogue_is_seeded_once_with_every_reference_product(db):
    bundled = bundled_catalogue()["products"]
    with db.factory() as session:
        products = {p.name: p for p in session.scalars(select(Product))}
    assert set(products) == {p["name"] for p in bundled}
    for name in ("Botox Cosmetic", "Dysport", "Xeomin", "Jeuveau", "Daxxify", "Letybo"):
        assert products[name].kind is ProductKind.NEUROMODULATOR
        assert products[name].dose_unit is DoseUnit.UNITS
        assert products[name].default_diluent_ml is not None
    assert products["Juvéderm Voluma XC"].dose_unit is DoseUnit.MILLILITRES
    assert products["Hylenex"].kind is ProductKind.ENZYME
    assert products["Hylenex"].interval_min_days is None
    assert (products["Botox Cosmetic"].interval_min_days, products["Botox Cosmetic"].interval_max_days) == (
        90,
        120,
    )
    assert products["Daxxify"].interval_min_days > 120


# Every product the domain reference names, by the name clinicians use.
REFERENCE_PRODUCTS = [
    "Botox Cosmetic",
    "Dysport",
    "Xeomin",
    "Jeuveau",
    "Daxxify",
    "Letybo",
    "Juvéderm Voluma XC",
    "Juvéderm Volbella XC",
    "Juvéderm Vollure XC",
    "Juvéderm Volux XC",
    "Juvéderm Ultra XC",
    "Restylane Silk",
    "Restylane Kysse",
    "Restylane Refyne",
    "Restylane Defyne",
    "Restylane Lyft",
    "RHA 2",
    "RHA 3",
    "RHA 4",
    "Radiesse",
    "Sculptra",
    "Belotero Balance",
    "Hylenex",
    "Vitrase",
    "Amphadase",
    "Hydase",
]


def test_catalogue_holds_every_reference_product_with_its_facts(db):
    products = {p.name: p for p in list_products(db.factory)}
    assert set(REFERENCE_PRODUCTS) <= set(products)
    for name in REFERENCE_PRODUCTS:
        product = products[name]
        assert product.package_size and product.package_size > 0, name
        assert product.colour.startswith("#") and len(product.colour) == 7, name
        if product.kind == "enzyme":
            assert product.interval_min_days is None and product.dose_unit is DoseUnit.UNITS, name
        else:
            assert 0 < product.interval_min_days <= product.interval_max_days, name
        if product.kind == "neuromodulator":
            assert product.reconstitution and product.default_diluent_ml, name
    assert products["Botox Cosmetic"].reconstitution.startswith("100 U in 2.5 mL")
    assert len({p.colour for p in products.values()}) == len(products), "chart colours are distinct"


def test_later_starts_never_duplicate_or_revive_products(db):
    with db.factory.begin() as session:
        session.execute(
            update(Product).where(Product.name == "Letybo").values(name="Letybo (clinic stock)", active=False)
        )
    assert seed_catalogue(db.factory, ACTOR) == 0
    db.close()
    reopened = open_database(db.url, ACTOR)
    with reopened.factory() as session:
        names = session.scalars(select(Product.name)).all()
    assert len(names) == len(set(names)) == len(bundled_catalogue()["products"])
    assert "Letybo" not in names
    reopened.close()


def test_a_later_catalogue_adds_only_new_products(db, monkeypatch):
    with db.factory.begin() as session:
        session.execute(update(Product).where(Product.name == "Letybo").values(name="Letybo (own stock)"))
    newer = deepcopy(bundled_catalogue())  # the bundled one is shared: never changed
    newer["catalogue_version"] += 1
    newer["products"].append(dict(newer["products"][0], name="Relfydess", colour="#123456"))
    monkeypatch.setattr("app.services.catalogue.bundled_catalogue", lambda: newer)
    assert seed_catalogue(db.factory, ACTOR) == 1
    with db.factory() as session:
        names = set(session.scalars(select(Product.name)))
    assert "Relfydess" in names and "Letybo" not in names and "Letybo (own stock)" in names
    assert seed_catalogue(db.factory, ACTOR) == 0


def test_damaged_file_gets_a_clear_message(tmp_path):
    path = tmp_path / "broken.db"
    path.write_bytes(b"this is a scanned consent form, not a database" * 100)
    with pytest.raises(DatabaseError, match="broken.db is damaged or is not a database file"):
        open_database(sqlite_url(path), ACTOR)
    assert path.read_bytes().startswith(b"this is a scanned consent form")


def test_database_url_from_option_environment_or_default(tmp_path, monkeypatch):
    monkeypatch.setattr("app.storage.config.default_database_path", lambda: tmp_path / "data" / "aliquot.db")
    assert database_url(str(tmp_path / "a.db"), {}).database == str(tmp_path / "a.db")
    assert database_url(None, {"ALIQUOT_DB": str(tmp_path / "b.db")}).database == str(tmp_path / "b.db")
    url = database_url("postgresql+psycopg://clinic:secret@server/aliquot", {})
    assert url.get_backend_name() == "postgresql" and url.database == "aliquot"
    assert database_url(None, {}).database.endswith("aliquot.db")
    with pytest.raises(DatabaseError, match="folder .* does not exist"):
        database_url(str(tmp_path / "missing" / "c.db"), {})
    with pytest.raises(DatabaseError, match="is a folder"):
        database_url(str(tmp_path), {})


def test_backup_is_a_consistent_copy(db, patient, tmp_path):
    dest = backup_sqlite(db, tmp_path / "copy.db")
    copy = connect(sqlite_url(dest), ACTOR)
    with copy.engine.connect() as connection:
        assert connection.execute(text("SELECT chart_number FROM patient")).scalar_one() == "A-0001"
    copy.close()
    with pytest.raises(DatabaseError, match="already exists"):
        backup_sqlite(db, dest)


def test_integrity_check_reports_revision_and_problems(db):
    report = check_integrity(db)
    assert report.ok and report.revision == report.head and report.problems == []
    raw = db.engine.raw_connection()  # damage the file the way another tool could
    raw.driver_connection.execute("PRAGMA foreign_keys=OFF")
    raw.driver_connection.execute("INSERT INTO lot (product_id, number, notes) VALUES (9999, 'X', '')")
    raw.driver_connection.execute("PRAGMA foreign_keys=ON")
    raw.close()
    report = check_integrity(db)
    assert not report.ok and "lot row" in report.problems[0]


def test_services_write_the_audit_trail(db, patient):
    with db.factory() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.entity == "patient")).one()
    assert (event.action, event.actor, event.entity_id) == ("create", ACTOR, str(patient.id))
    assert json.loads(event.details) == {"chart_number": "A-0001"}
    assert event.occurred_at.tzinfo is not None


def test_a_failed_backup_leaves_nothing_behind(db, patient, tmp_path, monkeypatch):
    import app.storage.database

    def pulled_out(partial, destination, replace):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(app.storage.database, "publish", pulled_out)
    drive = tmp_path / "drive"
    drive.mkdir()
    with pytest.raises(DatabaseError, match="cannot write the backup .* nothing was kept"):
        backup_sqlite(db, drive / "copy.db")
    assert list(drive.iterdir()) == []  # neither the copy nor its temporary file


def test_a_file_that_cannot_be_written_is_named_not_its_temporary(tmp_path):
    from app.storage.files import write_atomically_bytes
    from models.errors import AliquotError

    with pytest.raises(AliquotError) as refused:
        write_atomically_bytes(tmp_path / "missing" / "record.pdf", b"%PDF-")
    assert str(refused.value).startswith(f"cannot write {tmp_path / 'missing' / 'record.pdf'}")
    assert ".partial" not in str(refused.value)


# ---------------------------------------------------------------- read-only, empty, stale summary


def _charted_clinic(db, tmp_path):
    """A closed clinic with one patient and one charted visit, alone in its folder."""
    from datetime import date, datetime, timedelta

    from app.services.patients import create_patient
    from app.services.providers import create_provider
    from app.services.visits import create_visit, replace_points
    from models.records import PatientDraft
    from models.vocabulary import Sex
    from tests.conftest import botox_point, checkpoint

    patient = create_patient(
        db, PatientDraft("A-0001", "Zoë", "Ångström-Núñez", date(1985, 3, 14), Sex.FEMALE)
    )
    provider = create_provider(db, "Dana Reyes", "RN")
    # a month ago: the due list for today and later is read from the recall summary
    visit = create_visit(db, patient.id, provider.id, datetime.now(UTC) - timedelta(days=30))
    replace_points(db, visit.id, visit.version, [botox_point()])
    checkpoint(db.engine)
    db.close()
    folder = tmp_path / "clinic"
    folder.mkdir()
    path = folder / "clinic.db"
    Path(db.url.database).rename(path)
    return path


def _digest(path):
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def _running_as_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.mark.parametrize(
    "made_read_only",
    [
        "read-only URL",  # runs everywhere, as root too: chmod does not restrict root
        pytest.param(
            "read-only file", marks=pytest.mark.skipif(_running_as_root(), reason="root ignores chmod")
        ),
        pytest.param(
            "read-only folder", marks=pytest.mark.skipif(_running_as_root(), reason="root ignores chmod")
        ),
    ],
)
def test_a_read_only_database_is_read_and_printed_never_changed(db, tmp_path, made_read_only):
    from tests.app.test_cli import aliquot

    path = _charted_clinic(db, tmp_path)
    before = _digest(path)
    where = path
    if made_read_only == "read-only URL":
        where = f"sqlite:///{path}?mode=ro"
    elif made_read_only == "read-only file":
        path.chmod(0o444)
    else:
        path.parent.chmod(0o555)
    out = tmp_path / "out"
    out.mkdir()
    try:
        listed = json.loads(aliquot("patients", "--json", db=where).stdout)
        assert [p["chart_number"] for p in listed] == ["A-0001"]
        exported = aliquot("export", "A-0001", db=where)
        assert json.loads(exported.stdout)["visits"][0]["points"][0]["amount"] == "4"
        assert "read-only" in exported.stderr  # and so the export is not in its audit trail
        assert "Botox Cosmetic 4 U" in aliquot("visits", "A-0001", db=where).stdout
        aliquot("pdf", "history", "A-0001", "-o", out / "history.pdf", db=where)
        assert (out / "history.pdf").read_bytes().startswith(b"%PDF")
        due = json.loads(aliquot("due", "--within", "365", "--format", "json", db=where).stdout)
        assert {row["chart_number"] for row in due} == {"A-0001"}
        refused = aliquot("injectors", "add", "Sam Okafor", db=where, check=False)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert re.search(r"^aliquot: .*clinic\.db is read-only: nothing was changed", refused.stderr, re.M), (
            refused.stderr
        )
        if made_read_only == "read-only folder":
            assert sorted(p.name for p in path.parent.iterdir()) == ["clinic.db"]  # no -wal, no -shm
    finally:
        path.parent.chmod(0o755)
        path.chmod(0o644)
    assert _digest(path) == before


def test_a_read_only_folder_is_read_without_creating_files_in_it(db, tmp_path, monkeypatch):
    """The folder's permissions as the program sees them (os.access), so that this runs as root too."""
    from sqlalchemy import exc as sa_exc

    from app.services.patients import search_patients
    from app.services.providers import create_provider
    from app.storage.database import explain_driver_error

    path = _charted_clinic(db, tmp_path)
    access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda where, mode, **kw: (
            False if mode & os.W_OK and Path(where) in (path, path.parent) else access(where, mode, **kw)
        ),
    )
    database = open_database(sqlite_url(path), ACTOR)
    try:
        assert database.read_only
        assert [p.chart_number for p in search_patients(database, "A-0001")] == ["A-0001"]
        assert sorted(p.name for p in path.parent.iterdir()) == ["clinic.db"]
        with pytest.raises(sa_exc.DBAPIError) as refused:
            create_provider(database, "Sam Okafor", "NP")
        assert "is read-only: nothing was changed" in explain_driver_error(database.name, refused.value)
    finally:
        database.close()
    assert sorted(p.name for p in path.parent.iterdir()) == ["clinic.db"]


@pytest.mark.parametrize(
    "content, pattern",
    [
        (b"", r"is an empty file \(0 bytes\), not an Aliquot database"),
        (b"%PDF-1.7\n" + b"consent form " * 400, "is damaged or is not a database file"),
    ],
)
def test_an_empty_or_foreign_file_is_refused_and_left_as_it_is(tmp_path, content, pattern):
    from tests.app.test_cli import aliquot, assert_one_line_refusal

    path = tmp_path / "clinic.db"
    path.write_bytes(content)
    for command in (["patients"], ["injectors", "add", "Sam Okafor"], ["db", "check"]):
        assert_one_line_refusal(aliquot(*command, db=path, check=False), pattern)
    with pytest.raises(DatabaseError, match=pattern):
        open_database(sqlite_url(path), ACTOR)
    assert path.read_bytes() == content
    assert [p.name for p in tmp_path.iterdir()] == ["clinic.db"]


@pytest.mark.parametrize("upgraded_by", ["alembic", "opening"])
def test_the_recall_list_is_rebuilt_after_a_downgrade_and_an_upgrade(db, tmp_path, upgraded_by):
    from app.services.recall import due_list
    from models import database as schema

    path = _charted_clinic(db, tmp_path)
    first = open_database(sqlite_url(path), ACTOR)
    today = datetime.now(first.timezone).date()
    before = [(r.chart_number, r.area, r.item.due_from) for r in due_list(first, today, within_days=365)]
    first.close()
    assert before, "the clinic has someone due"
    engine = schema.make_engine(sqlite_url(path))
    schema.downgrade(engine, schema.script_directory().get_revision(schema.head_revision()).down_revision)
    if upgraded_by == "alembic":
        schema.upgrade(engine)
    engine.dispose()
    reopened = open_database(sqlite_url(path), ACTOR)
    try:
        assert [
            (r.chart_number, r.area, r.item.due_from) for r in due_list(reopened, today, within_days=365)
        ] == before
    finally:
        reopened.close()


def test_a_recall_summary_left_empty_by_an_earlier_version_is_rebuilt(db, tmp_path):
    """Databases already downgraded and upgraded kept the old marker over an empty summary."""
    from app.services.recall import due_list

    path = _charted_clinic(db, tmp_path)
    engine = connect(sqlite_url(path), ACTOR).engine
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM recall_item"))
        connection.execute(text("UPDATE app_meta SET value = '1' WHERE key = 'recall_summary'"))
    engine.dispose()
    reopened = open_database(sqlite_url(path), ACTOR)
    try:
        today = datetime.now(reopened.timezone).date()
        assert {r.chart_number for r in due_list(reopened, today, within_days=365)} == {"A-0001"}
    finally:
        reopened.close()
