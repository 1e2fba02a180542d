"""aliquot.patient/1 byte for byte: a file exported today is the file exported before the
point fields were gathered into one table (models/point_fields.py), and it reads back to
itself."""

import copy
import json
from pathlib import Path

from app.exports.interchange import dumps, export_patient, import_document
from app.storage.database import open_database
from tests.app.test_interchange import rich_document
from tests.conftest import ACTOR, sqlite_url

GOLDEN = Path(__file__).parent / "data" / "patient_golden.json"


def golden_document() -> dict:
    """The rich example, with alerts, a lot of known size (and one of unknown size),
    a lot named in another letter case and a review visit: every optional part of a point and a visit, present and absent."""
    document = rich_document()
    document["patient"]["alerts"] = "pregnant — no toxin"
    first = document["visits"][0]["points"][0]
    first["lot"]["package_size"] = "50"
    second = copy.deepcopy(first)
    second.update(x=0.52, y=0.2, region="forehead", amount="2.5", aliquots=1, depth=None, technique=None)
    second["lot"] = {"number": first["lot"]["number"].lower(), "expiry": first["lot"]["expiry"]}
    second.update(gauge="", notes="")
    document["visits"][0]["points"].append(second)
    document["visits"].append(
        {
            "external_id": "v3",
            "started_at": "2025-05-06T09:15:00+01:00",
            "provider": {"name": "Dana Reyes", "credentials": "RN"},
            "status": "signed",
            "kind": "review",
            "concern": "",
            "notes": "settled well",
            "consent": True,
            "points": [],
        }
    )
    return document


def test_an_export_is_byte_identical_to_the_golden_file(db):
    import_document(db, golden_document(), "golden.json")
    assert dumps(export_patient(db, "A-0001")) == GOLDEN.read_text(encoding="utf-8")


def test_the_golden_file_reads_back_to_itself(tmp_path, migrated_template):
    path = tmp_path / "fresh.db"
    path.write_bytes(migrated_template.read_bytes())
    fresh = open_database(sqlite_url(path), ACTOR)
    try:
        text = GOLDEN.read_text(encoding="utf-8")
        import_document(fresh, json.loads(text), "golden.json")
        assert dumps(export_patient(fresh, "A-0001")) == text
    finally:
        fresh.close()
