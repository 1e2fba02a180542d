"""Shared fixtures: real SQLite clinic databases in temporary folders."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from app.services.patients import create_patient
from app.services.providers import create_provider
from app.storage.database import Database, open_database
from models.records import PatientDraft, PointDraft
from models.vocabulary import Sex

ACTOR = "tester@workstation"


def sqlite_url(path: Path) -> URL:
    return URL.create("sqlite", database=str(path))


def checkpoint(engine) -> None:
    """Fold the write-ahead log into the main file (outside any transaction)."""
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch):
    """argon2 at its lowest costs in tests (each sign-in would otherwise take a good part
    of a second); the hashes are real argon2id, checked the same way."""
    from argon2 import PasswordHasher

    from app.services import users

    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """One database migrated to head and seeded, copied for each test that needs one."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = open_database(sqlite_url(path), ACTOR)
    checkpoint(database.engine)
    database.close()
    return path


@pytest.fixture
def db_path(tmp_path, migrated_template) -> Path:
    path = tmp_path / "clinic.db"
    shutil.copyfile(migrated_template, path)
    return path


@pytest.fixture
def db(db_path) -> Database:
    database = open_database(sqlite_url(db_path), ACTOR)
    yield database
    database.close()


@pytest.fixture
def patient(db):
    return create_patient(db, PatientDraft("A-0001", "Zoë", "Ångström-Núñez", date(1985, 3, 14), Sex.FEMALE))


@pytest.fixture
def provider(db):
    return create_provider(db, "Dana Reyes", "RN")


def at(year, month, day, hour=10, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def botox_point(region="glabella", amount="4", **overrides) -> PointDraft:
    values = dict(
        view="front",
        x=0.5,
        y=0.37,
        region_code=region,
        product_name="Botox Cosmetic",
        amount=Decimal(amount),
        unit="U",
        aliquots=1,
        lot_number="C1234",
        lot_expiry=date(2030, 12, 31),
        depth="intramuscular",
        technique="needle",
        gauge="30G",
    )
    values.update(overrides)
    return PointDraft(**values)


def snapshot(database: Database) -> dict[str, list[tuple]]:
    """Every row of every table, to prove that a refused action changed nothing."""
    with database.engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        return {
            t: sorted(map(tuple, connection.execute(text(f'SELECT * FROM "{t}"'))), key=repr) for t in tables
        }
