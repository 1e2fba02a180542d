"""One point codec (models/point_fields.py): recovery files and clinic templates written
by earlier versions still load, and every field of a point is in the one table."""

import dataclasses
import json
from datetime import date
from decimal import Decimal

import pytest

from app.services.templates import clinic_templates
from app.storage.autosave import _path, pending_recoveries
from models.records import ChartedPoint
from models.tables import ChartTemplate
from models.vocabulary import Depth, DoseUnit, Technique, View

# A point as recovery files and clinic templates were written before the table existed
# (the writer's key order), and as written before lots had a size (no lot_package_size).
OLD_POINT = {
    "view": "front",
    "x": 0.69,
    "y": 0.5,
    "region": "cheek_l",
    "product": "Juvéderm Voluma XC",
    "unit": "mL",
    "amount": "0.25",
    "aliquots": 3,
    "lot": "V1",
    "lot_expiry": "2027-01-01",
    "depth": "supraperiosteal",
    "technique": "cannula",
    "gauge": "25G",
    "notes": "slow bolus",
    "lot_package_size": "1",
}
OLDER_POINT = {key: value for key, value in OLD_POINT.items() if key != "lot_package_size"} | {
    "lot": None,
    "lot_expiry": None,
    "depth": None,
    "technique": None,
    "gauge": "",
    "notes": "",
}
OLD_CHARTED = ChartedPoint(
    view=View.FRONT,
    x=0.69,
    y=0.5,
    region_code="cheek_l",
    product_name="Juvéderm Voluma XC",
    unit=DoseUnit.MILLILITRES,
    amount=Decimal("0.25"),
    aliquots=3,
    lot_number="V1",
    lot_expiry=date(2027, 1, 1),
    depth=Depth.SUPRAPERIOSTEAL,
    technique=Technique.CANNULA,
    gauge="25G",
    notes="slow bolus",
    lot_package_size=Decimal(1),
)
OLDER_CHARTED = dataclasses.replace(
    OLD_CHARTED,
    lot_number=None,
    lot_expiry=None,
    depth=None,
    technique=None,
    gauge="",
    notes="",
    lot_package_size=None,
)


@pytest.fixture(autouse=True)
def private_recovery_dir(tmp_path, monkeypatch):
    monkeypatch.setattr("app.storage.autosave.recovery_dir", lambda: tmp_path / "recovery")
    return tmp_path / "recovery"


def test_a_recovery_file_of_an_earlier_version_loads(db, private_recovery_dir):
    private_recovery_dir.mkdir()
    _path(db, 7).write_text(
        json.dumps(
            {
                "format": "aliquot.recovery/1",
                "database": db.name,
                "visit_id": 7,
                "version": 2,
                "saved_at": "2026-11-20T15:31:00+00:00",
                "fields": {
                    "provider_id": 1,
                    "started_at": "2026-11-20T15:30:00+00:00",
                    "concern": "volume loss",
                    "notes": "",
                    "consent_recorded": True,
                },
                "points": [OLD_POINT, OLDER_POINT],
            }
        ),
        encoding="utf-8",
    )
    [found] = pending_recoveries(db)
    assert found.points == [OLD_CHARTED, OLDER_CHARTED]
    assert found.points[0].amount == Decimal("0.25") and found.points[0].lot_package_size == 1


def test_a_clinic_template_stored_by_an_earlier_version_loads(db):
    with db.factory.begin() as session:
        session.add(
            ChartTemplate(
                name="Cheeks",
                name_key="cheeks",
                points=json.dumps([OLD_POINT, OLDER_POINT], ensure_ascii=False),
                created_by="earlier",
            )
        )
    [template] = clinic_templates(db)
    assert template.name == "Cheeks" and list(template.points) == [OLD_CHARTED, OLDER_CHARTED]


def test_every_field_of_a_point_is_in_the_table_once():
    from models.point_fields import POINT_FIELDS, point_document, point_from_data, point_to_data
    from models.records import PointDraft

    attributes = [field.attribute for field in POINT_FIELDS]
    assert len(set(attributes)) == len(attributes)
    for kind in (ChartedPoint, PointDraft):
        assert {f.name for f in dataclasses.fields(kind)} == set(attributes), kind
    assert point_from_data(point_to_data(OLD_CHARTED)) == OLD_CHARTED
    assert point_document(OLD_CHARTED)["lot"] == {"number": "V1", "expiry": "2027-01-01", "package_size": "1"}
    assert point_document(OLDER_CHARTED)["lot"] is None


def test_a_word_outside_its_vocabulary_is_told_the_way_each_reader_spells_it():
    from models.errors import ValidationError
    from models.validation import check_choice

    assert (
        check_choice("", Depth, "depth") is None
        and check_choice("needle", Technique, "x") is Technique.NEEDLE
    )
    with pytest.raises(ValidationError, match=r"^unknown depth 'deep' \(known: intradermal, "):
        check_choice("deep", Depth, "depth")
    with pytest.raises(ValidationError, match=r"^unknown view 5 \(known: front, left, right\)$"):
        check_choice(5, View, "view", optional=False)
