"""A manufacturer recalls a lot: every patient, visit, site and amount from it, exactly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.services.lots import lot_recall
from app.services.patients import create_patient
from app.services.visits import create_visit, replace_points
from models.errors import NotFoundError, ValidationError
from models.records import PatientDraft
from models.vocabulary import Sex
from tests.conftest import at, botox_point


@pytest.fixture
def clinic(db, patient, provider):
    other = create_patient(db, PatientDraft("B-0002", "שרה", "לוי", date(1979, 5, 1), Sex.FEMALE))
    first = create_visit(db, patient.id, provider.id, at(2026, 9, 1))
    replace_points(
        db,
        first.id,
        first.version,
        [
            botox_point("glabella", "4"),
            botox_point("corrugator_l", "8", lot_number="D999", lot_expiry=date(2030, 6, 30)),
        ],
    )
    second = create_visit(db, other.id, provider.id, at(2026, 10, 1))
    replace_points(
        db, second.id, second.version, [botox_point("forehead_l", "2"), botox_point("forehead_r", "2")]
    )
    return db, first, second


def test_the_recall_lists_exactly_the_sites_given_from_the_lot(clinic):
    db, first, second = clinic
    uses = lot_recall(db, "C1234")
    assert [(u.chart_number, u.visit_id, u.region_code, u.amount, u.unit) for u in uses] == [
        ("A-0001", first.id, "glabella", Decimal("4"), "U"),
        ("B-0002", second.id, "forehead_l", Decimal("2"), "U"),
        ("B-0002", second.id, "forehead_r", Decimal("2"), "U"),
    ]
    assert [u.region_code for u in lot_recall(db, "D999", "botox cosmetic")] == ["corrugator_l"]


def test_an_unknown_lot_or_product_is_said_so(clinic):
    db, *_ = clinic
    with pytest.raises(NotFoundError, match="no lot X1 is registered"):
        lot_recall(db, "X1")
    with pytest.raises(NotFoundError, match="no lot C1234 of Dysport is registered"):
        lot_recall(db, "C1234", "Dysport")
    with pytest.raises(ValidationError, match="give the lot number"):
        lot_recall(db, "  ")


def test_the_command_line_writes_the_recall_as_csv_and_json(clinic, db_path, tmp_path):
    import csv
    import json

    from tests.app.test_cli import aliquot

    db, *_ = clinic
    db.close()
    table = aliquot("lot", "C1234", db=db_path).stdout
    assert table.startswith("lot C1234: 3 injections, 2 patients")
    listed = json.loads(aliquot("lot", "C1234", "--format", "json", db=db_path).stdout)
    assert [(r["chart"], r["site"], r["amount"]) for r in listed] == [
        ("A-0001", "glabella", "4"),
        ("B-0002", "forehead_l", "2"),
        ("B-0002", "forehead_r", "2"),
    ]
    out = tmp_path / "recall.csv"
    aliquot("lot", "C1234", "--format", "csv", "-o", out, db=db_path)
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [r["patient"] for r in rows] == ["Zoë Ångström-Núñez", "שרה לוי", "שרה לוי"]


def test_the_recall_report_prints_every_patient_to_call(clinic):
    from app.exports.records import lot_recall_pdf
    from tests.app.test_records import text_of

    db, *_ = clinic
    text = " ".join(text_of(lot_recall_pdf(db, "C1234")))
    assert "Lot recall: C1234" in text and "3 injections to 2 patients" in text
    assert "Zoë Ångström-Núñez" in text and "שרה לוי" in text and "Glabella" in text
