from datetime import date
from decimal import Decimal

import pytest

from app.services.visits import VisitFields
from app.storage.autosave import discard_recovery, pending_recoveries, write_recovery
from models.chart import Pen
from models.vocabulary import DoseUnit, View
from tests.conftest import at


@pytest.fixture(autouse=True)
def private_recovery_dir(tmp_path, monkeypatch):
    monkeypatch.setattr("app.storage.autosave.recovery_dir", lambda: tmp_path / "recovery")
    return tmp_path / "recovery"


def test_an_unsaved_chart_is_written_and_found_again(db, private_recovery_dir):
    pen = Pen(
        "Juvéderm Voluma XC",
        DoseUnit.MILLILITRES,
        Decimal("0.25"),
        3,
        lot_number="V1",
        lot_expiry=date(2027, 1, 1),
    )
    points = [pen.point_at(View.FRONT, 0.69, 0.5, "cheek_l"), pen.point_at(View.FRONT, 0.31, 0.5, "cheek_r")]
    fields = VisitFields(1, at(2026, 11, 20, 15, 30), "volume loss", "", True)
    write_recovery(db, 42, 3, fields, points)
    [found] = pending_recoveries(db)
    assert (found.visit_id, found.version, found.fields, found.points) == (42, 3, fields, points)
    assert not list(private_recovery_dir.glob("*.partial"))
    discard_recovery(db, 42)
    assert pending_recoveries(db) == []


def test_a_damaged_recovery_file_is_skipped_not_fatal(db, private_recovery_dir):
    write_recovery(db, 1, 1, VisitFields(1, at(2026, 11, 20)), [])
    (private_recovery_dir / next(private_recovery_dir.iterdir()).name).write_text("{half a fi")
    assert pending_recoveries(db) == []
