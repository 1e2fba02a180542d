"""aliquot.patient/1: round trips, repeat imports, and every refusal leaving the database as it was."""

import copy
import json
from decimal import Decimal

import pytest

from app.exports.interchange import dumps, export_patient, import_document, import_files
from app.services.patients import search_patients
from app.services.visits import get_visit, list_visits
from app.storage.database import open_database
from models.errors import ConflictError, NotFoundError, ValidationError
from tests.conftest import ACTOR, snapshot

SPEC_EXAMPLE = {
    "format": "aliquot.patient/1",
    "patient": {
        "chart_number": "A-0001",
        "given_name": "Zoë",
        "family_name": "Ångström-Núñez",
        "date_of_birth": "1985-03-14",
        "sex": "female",
        "phone": None,
        "email": None,
        "allergies": "",
        "notes": "",
    },
    "visits": [
        {
            "external_id": "v1",
            "started_at": "2025-01-10T10:00:00+00:00",
            "provider": {"name": "Dana Reyes", "credentials": "RN"},
            "status": "signed",
            "concern": "",
            "notes": "",
            "consent": True,
            "points": [
                {
                    "view": "front",
                    "x": 0.5,
                    "y": 0.31,
                    "region": "glabella",
                    "product": "Botox Cosmetic",
                    "lot": {"number": "C1234", "expiry": "2026-12-31"},
                    "amount": "4",
                    "unit": "U",
                    "aliquots": 1,
                    "depth": "intramuscular",
                    "technique": "needle",
                    "gauge": "30G",
                    "notes": "",
                }
            ],
        }
    ],
}


def first_visit_only():
    """What an earlier export of the same chart held: the same patient, visit v1 only."""
    document = rich_document()
    document["visits"] = document["visits"][:1]
    return document


def rich_document():
    """Two visits, two brands of toxin, a filler, Unicode everywhere."""
    document = copy.deepcopy(SPEC_EXAMPLE)
    document["patient"].update(
        phone="+44 20 7946 0000",
        email="zoe@example.com",
        allergies="lidocaine",
        notes="keloid history — avoid deep bolus",
    )
    document["visits"].append(
        {
            "external_id": "v2",
            "started_at": "2025-04-22T15:30:00-04:00",
            "provider": {"name": "Sofía Lindqvist", "credentials": "DDS"},
            "status": "draft",
            "concern": "left brow higher at rest",
            "notes": "review in 2 weeks",
            "consent": True,
            "points": [
                {
                    "view": "front",
                    "x": 0.745,
                    "y": 0.43,
                    "region": "crows_feet_l",
                    "product": "dysport",
                    "lot": {"number": "D-77", "expiry": "2027-01-31"},
                    "amount": 30,
                    "unit": "U",
                    "aliquots": 3,
                    "depth": "intramuscular",
                    "technique": "needle",
                    "gauge": "30G",
                    "notes": "",
                },
                {
                    "view": "left",
                    "x": 0.61,
                    "y": 0.5,
                    "region": "cheek_l",
                    "product": "JUVEDERM VOLUMA XC",
                    "lot": None,
                    "amount": 0.1,
                    "unit": "mL",
                    "aliquots": 2,
                    "depth": "supraperiosteal",
                    "technique": "cannula",
                    "gauge": "25G",
                    "notes": "李医生 note",
                },
            ],
        }
    )
    return document


def test_spec_example_imports(db):
    result = import_document(db, copy.deepcopy(SPEC_EXAMPLE), "zoe.json")
    assert (result.patient_created, result.visits_added, result.visits_unchanged) == (True, 1, 0)
    [visit] = list_visits(db, "A-0001")
    assert visit.status.value == "signed" and visit.provider_name == "Dana Reyes"
    assert [(t.product_name, str(t.amount), t.unit.value) for t in visit.totals] == [
        ("Botox Cosmetic", "4", "U")
    ]


def test_round_trip_into_an_empty_database_is_exact(db, tmp_path, db_path, migrated_template):
    import_document(db, rich_document(), "zoe.json")
    exported = export_patient(db, "A-0001")
    assert exported["visits"][1]["points"][1]["product"] == "Juvéderm Voluma XC"
    assert exported["visits"][1]["points"][1]["amount"] == "0.1"
    assert exported["visits"][1]["started_at"] == "2025-04-22T19:30:00+00:00"

    import shutil

    fresh_path = tmp_path / "fresh.db"
    shutil.copyfile(migrated_template, fresh_path)
    fresh = open_database(db.url.set(database=str(fresh_path)), ACTOR)
    import_document(fresh, json.loads(dumps(exported)), "export.json")
    assert export_patient(fresh, "A-0001") == exported
    assert dumps(export_patient(fresh, "A-0001")) == dumps(exported)
    fresh.close()


def test_chinese_names_round_trip(db):
    document = copy.deepcopy(SPEC_EXAMPLE)
    document["patient"].update(chart_number="C-88", given_name="小龙", family_name="李", sex="male")
    import_document(db, document, "li.json")
    assert export_patient(db, "C-88")["patient"]["given_name"] == "小龙"
    assert search_patients(db, "李")[0].chart_number == "C-88"


def test_importing_the_same_file_again_changes_nothing(db):
    import_document(db, rich_document(), "zoe.json")
    before = snapshot(db)
    del before["audit_event"]
    result = import_document(db, rich_document(), "zoe.json")
    assert (result.patient_created, result.visits_added, result.visits_unchanged) == (False, 0, 2)
    after = snapshot(db)
    del after["audit_event"]  # the repeat import itself is audited
    assert after == before


def test_a_new_visit_in_a_later_file_is_added(db):
    import_document(db, first_visit_only(), "first.json")
    result = import_document(db, rich_document(), "second.json")
    assert (result.visits_added, result.visits_unchanged) == (1, 1)


def broken(path, value):
    """The rich document with one value replaced; path is a list of keys/indexes."""
    document = rich_document()
    target = document
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


DELETE = object()
P2 = ["visits", 1, "points", 1]  # the filler point of visit v2

REFUSALS = [
    (
        broken(P2 + ["unit"], "U"),
        r"visit 'v2', point 2, unit: Juvéderm Voluma XC is dosed in millilitres \(mL\), not U",
    ),
    (broken(P2 + ["amount"], "0"), r"visit 'v2', point 2, amount: .*must be more than 0 mL"),
    (broken(P2 + ["amount"], "-0.5"), r"point 2, amount: .*more than 0"),
    (broken(P2 + ["amount"], "250"), r"point 2, amount: .*typing error"),
    (broken(P2 + ["amount"], "0.12345"), r"point 2, amount: .*decimal places"),
    (broken(P2 + ["amount"], "lots"), r"point 2, amount: amount 'lots' is not a number"),
    (broken(P2 + ["amount"], "1,5"), r"point 2, amount: amount '1,5' has a comma"),
    (broken(P2 + ["amount"], "1e400"), r"point 2, amount: amount 1e400 is far too large"),
    (broken(P2 + ["amount"], None), r"point 2, amount: an amount is required"),
    (broken(P2 + ["lot"], {"number": " ", "expiry": "2027-01-01"}), r"point 2, lot: the lot number is empty"),
    (
        broken(P2 + ["lot"], {"number": "D-77", "expiry": "2027-01-31"}),
        r"point 2, lot: lot D-77 belongs to Dysport, not Juvéderm Voluma XC",
    ),
    (
        broken(P2 + ["lot"], {"number": "L" * 61, "expiry": "2027-01-31"}),
        r"point 2, lot: too long for the lot number field \(61 characters; at most 60\)",
    ),
    (
        broken(["visits", 1, "started_at"], "0001-01-01T00:00:00+05:00"),
        r"visit 'v2', started_at: .*not a plausible visit time",
    ),
    (broken(["visits", 1, "provider"], {"name": 7}), r"^zoe.json: visit 'v2', provider, name: must be text$"),
    (
        broken(["visits", 1, "provider"], {"name": "Sofía Lindqvist", "credentials": "C" * 41}),
        r"visit 'v2', provider: too long for the credentials field",
    ),
    (broken(P2 + ["aliquots"], 0), r"point 2, aliquots: a site receives at least 1 aliquot"),
    (broken(P2 + ["x"], 1.2), r"point 2, x: the point lies outside the drawing"),
    (broken(P2 + ["region"], "ear_l"), r"point 2, region: unknown face region 'ear_l'"),
    (broken(P2 + ["region"], "cheek_r"), r"point 2, region: Cheek .*, right cannot be seen on the left view"),
    (broken(P2 + ["view"], "back"), r"point 2, view: unknown view 'back'"),
    (broken(P2 + ["product"], "Botax"), r"point 2, product: 'Botax' is not a product in the catalogue"),
    (broken(P2 + ["depth"], "deep"), r"point 2, depth: unknown depth 'deep'"),
    (broken(P2 + ["gauge"], "30"), r"point 2, gauge:"),
    (
        broken(P2 + ["lot"], {"number": "NEW-1"}),
        r"point 2, lot: lot NEW-1 of Juvéderm Voluma XC is new: give its expiry",
    ),
    (
        broken(P2 + ["lot"], {"number": "V1", "expiry": "2025-03-01"}),
        r"point 2, lot: lot V1 of Juvéderm Voluma XC expired on 2025-03-01, before this visit on 2025-04-2[23]",
    ),
    (broken(P2 + ["colour"], "red"), r"point 2: unknown field 'colour'"),
    (broken(P2 + ["product"], DELETE), r"point 2: field 'product' is missing"),
    (broken(["visits", 1, "started_at"], "2025-04-22 15:30"), r"visit 'v2', started_at: .* has no time zone"),
    (
        broken(["visits", 1, "started_at"], "last Tuesday"),
        r"visit 'v2', started_at: 'last Tuesday' is not a time",
    ),
    (broken(["visits", 1, "status"], "final"), r'visit \'v2\', status: "final" is not one of: draft, signed'),
    (broken(["visits", 1, "consent"], "yes"), r"visit 'v2', consent: must be true or false"),
    (broken(["visits", 1, "external_id"], "v1"), r"visit 'v1': appears twice in the file"),
    (
        broken(["visits", 1, "provider"], {"name": ""}),
        r"visit 'v2', provider: the provider's name is required",
    ),
    (
        broken(["patient", "allergies"], "none"),
        r"chart A-0001 is already Zoë Ångström-Núñez in this database, and the file differs in allergies",
    ),
    (
        broken(["patient", "date_of_birth"], "14/03/1985"),
        r"patient, date_of_birth: '14/03/1985' is not a date",
    ),
    (broken(["patient", "chart_number"], ""), r"patient, chart_number:"),
    (broken(["patient", "sex"], "f"), r'patient, sex: "f" is not one of'),
    (broken(["format"], "aliquot.patient/2"), r"format aliquot.patient/2 was written by a newer Aliquot"),
    (broken(["format"], "fhir"), r"this is not an Aliquot patient file \(format \"fhir\""),
    (broken(["format"], DELETE), r"this is not an Aliquot patient file \(no \"format\""),
    (["not", "an", "object"], r"this is not an Aliquot patient file"),
]


@pytest.mark.parametrize("document, message", REFUSALS, ids=[m[:40] for _, m in REFUSALS])
def test_every_refusal_names_file_visit_and_field_and_changes_nothing(db, document, message):
    import_document(db, first_visit_only(), "earlier.json")  # something already stored
    before = snapshot(db)
    with pytest.raises((ValidationError, ConflictError)) as error:
        import_document(db, document, "zoe.json")
    assert str(error.value).startswith("zoe.json: ")
    assert __import__("re").search(message, str(error.value)), str(error.value)
    assert snapshot(db) == before


def test_a_chart_number_of_another_person_is_refused(db):
    import_document(db, copy.deepcopy(SPEC_EXAMPLE), "zoe.json")
    before = snapshot(db)
    other = copy.deepcopy(SPEC_EXAMPLE)
    other["patient"]["given_name"] = "Maria"
    with pytest.raises(
        ConflictError, match="chart A-0001 is already Zoë Ångström-Núñez.*differs in given_name"
    ):
        import_document(db, other, "maria.json")
    assert snapshot(db) == before


def test_a_changed_visit_is_refused_not_overwritten(db):
    import_document(db, copy.deepcopy(SPEC_EXAMPLE), "zoe.json")
    before = snapshot(db)
    changed = copy.deepcopy(SPEC_EXAMPLE)
    changed["visits"][0]["points"][0]["amount"] = "40"
    with pytest.raises(
        ConflictError, match="visit 'v1' is already in this chart with different injection points"
    ):
        import_document(db, changed, "zoe-edited.json")
    assert snapshot(db) == before


def test_import_files_reports_unreadable_files(db, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "aliquot.patient/1", ', encoding="utf-8")
    with pytest.raises(ValidationError, match=r"bad.json: not valid JSON \(line 1"):
        import_files(db, [bad])
    with pytest.raises(NotFoundError, match="missing.json: no such file"):
        import_files(db, [tmp_path / "missing.json"])


def test_export_of_unknown_patient(db):
    with pytest.raises(NotFoundError, match="no patient with chart number Q-1"):
        export_patient(db, "Q-1")


def test_the_visit_total_is_checked_against_the_products_ceiling(db):
    document = rich_document()
    filler = document["visits"][1]["points"][1]
    filler["amount"] = "6"
    document["visits"][1]["points"].append(dict(filler, region="midface_l", x=0.63, y=0.54))
    before = snapshot(db)
    with pytest.raises(
        ValidationError,
        match="visit 'v2': this visit's total of 12 mL of Juvéderm Voluma XC is more than 10 mL",
    ):
        import_document(db, document, "zoe.json")
    assert snapshot(db) == before


def test_a_tidier_or_terser_copy_of_an_imported_file_changes_nothing(db):
    """Nulls for empty text, a registered lot without its expiry, spaces around a phone
    number: the same clinical content, so a repeat import finds it already present."""
    import_document(db, rich_document(), "zoe.json")
    before = snapshot(db)
    del before["audit_event"]
    terse = rich_document()
    terse["patient"]["phone"] = "  +44 20 7946 0000 "
    terse["visits"][0]["concern"] = None
    terse["visits"][0]["notes"] = None
    del terse["visits"][0]["points"][0]["lot"]["expiry"]
    terse["visits"][1]["points"][0]["gauge"] = "30g"
    result = import_document(db, terse, "zoe-terse.json")
    assert (result.visits_added, result.visits_unchanged) == (0, 2)
    after = snapshot(db)
    del after["audit_event"]
    assert after == before


def test_the_visit_day_is_the_clinics_day(db):
    """22:30 in New York on 31 Jan is 1 Feb in UTC: a lot expiring on 31 Jan is still usable."""
    from app.services.settings import set_clinic_timezone

    set_clinic_timezone(db, "America/New_York")
    document = copy.deepcopy(SPEC_EXAMPLE)
    document["visits"][0]["started_at"] = "2025-02-01T03:30:00+00:00"
    document["visits"][0]["points"][0]["lot"]["expiry"] = "2025-01-31"
    import_document(db, document, "late.json")
    set_clinic_timezone(db, "Europe/Berlin")
    document["patient"]["chart_number"] = "A-0002"
    with pytest.raises(ValidationError, match="expired on 2025-01-31, before this visit on 2025-02-01"):
        import_document(db, document, "late.json")


def test_text_too_long_for_its_field_is_refused_on_every_database(db):
    document = rich_document()
    document["patient"]["phone"] = "0" * 41
    with pytest.raises(
        ValidationError, match="^zoe.json: patient, phone: too long for the phone number field"
    ):
        import_document(db, document, "zoe.json")
    assert search_patients(db, include_archived=True) == []


def test_a_lot_s_package_size_travels_with_it_and_absent_means_unknown(db):
    document = copy.deepcopy(SPEC_EXAMPLE)
    document["visits"][0]["points"][0]["lot"]["package_size"] = "50"
    import_document(db, document, "zoe.json")
    [visit] = list_visits(db, "A-0001")
    assert get_visit(db, visit.id).points[0].lot_package_size == Decimal(50)
    assert export_patient(db, "A-0001")["visits"][0]["points"][0]["lot"]["package_size"] == "50"
    unknown = copy.deepcopy(SPEC_EXAMPLE)
    unknown["patient"]["chart_number"] = "A-0002"
    unknown["visits"][0]["points"][0]["lot"]["number"] = "C7777"
    import_document(db, unknown, "other.json")
    [other] = list_visits(db, "A-0002")
    assert get_visit(db, other.id).points[0].lot_package_size is None
    assert "package_size" not in export_patient(db, "A-0002")["visits"][0]["points"][0]["lot"]
    wrong = copy.deepcopy(unknown)
    wrong["patient"]["chart_number"] = "A-0003"
    wrong["visits"][0]["points"][0]["lot"].update(number="C8888", package_size="200")
    with pytest.raises(ValidationError, match="cannot come in 200 U packages"):
        import_document(db, wrong, "wrong.json")
