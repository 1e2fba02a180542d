from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from models.base import format_amount, normalize_amount
from models.tables import Patient
from models.text import fold


def test_fold_ignores_case_and_accents():
    assert fold("Zoë  ÅNGSTRÖM-Núñez") == "zoe angstrom-nunez"
    assert fold("Juvéderm Voluma XC") == "juvederm voluma xc"
    assert fold("李小龙") == "李小龙"


def test_amount_formatting_is_plain():
    assert format_amount(Decimal("4.000")) == "4"
    assert format_amount(Decimal("100")) == "100"
    assert format_amount(Decimal("0.050")) == "0.05"
    assert normalize_amount(Decimal("1E+2")) == Decimal(100)


def test_times_are_stored_utc_and_read_back_aware(db, patient):
    eastern = timezone(timedelta(hours=-5))
    moment = datetime(2025, 1, 10, 9, 30, tzinfo=eastern)
    with db.factory.begin() as session:
        session.get(Patient, patient.id).created_at = moment
    with db.factory() as session:
        stored = session.get(Patient, patient.id).created_at
    assert stored == moment and stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0) and stored.hour == 14
    with db.engine.connect() as connection:  # the file itself holds UTC
        raw = connection.exec_driver_sql("SELECT created_at FROM patient").scalar()
    assert raw.startswith("2025-01-10 14:30:00")


def test_naive_times_are_refused(db, patient):
    with db.factory() as session:
        before = session.scalar(select(Patient.created_at))
    with pytest.raises(Exception, match="naive datetime"), db.factory.begin() as session:
        session.get(Patient, patient.id).created_at = datetime(2025, 1, 10, 9, 30)
    with db.factory() as session:
        assert session.scalar(select(Patient.created_at)) == before
