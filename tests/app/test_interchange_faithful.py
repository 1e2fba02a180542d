"""Imports refuse what is not a faithful record: each refusal is one line a clinician
understands, exit status 1 from the command line, and the database left as it was."""

import copy
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from app.cli import main
from app.exports.interchange import export_patient, import_document
from app.services.patients import search_patients
from app.services.visits import list_visits
from models.errors import ValidationError
from models.validation import MAX_ALIQUOTS
from tests.app.test_interchange import SPEC_EXAMPLE, rich_document
from tests.conftest import snapshot


def run_import(db, tmp_path, capsys, text: str | bytes, name="zoe.json"):
    """`aliquot import FILE` in this process: (exit status, stdout, stderr)."""
    path = tmp_path / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    capsys.readouterr()
    status = main(["--db", str(db.url.database), "import", str(path)])
    out, err = capsys.readouterr()
    return status, out, err


def assert_refused(db, tmp_path, capsys, text, pattern, name="zoe.json"):
    before = snapshot(db)
    status, out, err = run_import(db, tmp_path, capsys, text, name)
    assert "Traceback" not in err
    assert status == 1, (status, out, err)
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"aliquot: {tmp_path / name}: "), lines[0]
    assert re.search(pattern, lines[0]), lines[0]
    assert snapshot(db) == before
    return lines[0]


def spec(**changes) -> dict:
    """The spec example with some of its values replaced: key paths as 'patient.given_name'."""
    document = copy.deepcopy(SPEC_EXAMPLE)
    for path, value in changes.items():
        target = document
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value
    return document


POINT = "visits.0.points.0"


# ---------------------------------------------------------------- duplicate keys


def test_a_key_given_twice_in_one_object_is_refused_not_last_wins(db, tmp_path, capsys):
    text = json.dumps(SPEC_EXAMPLE).replace('"amount": "4"', '"amount": "4", "amount": "40"')
    assert text.count('"amount"') == 2
    assert_refused(db, tmp_path, capsys, text, r'"amount" is given twice in one object')
    assert search_patients(db, include_archived=True) == []


def test_a_key_given_twice_with_the_same_value_is_refused_too(db, tmp_path, capsys):
    text = json.dumps(SPEC_EXAMPLE).replace(
        '"format": "aliquot.patient/1"', '"format": "aliquot.patient/1", "format": "aliquot.patient/1"'
    )
    assert_refused(db, tmp_path, capsys, text, r'"format" is given twice')


# ---------------------------------------------------------------- aliquots


@pytest.mark.parametrize("aliquots", [2**62, 2**64, 10**30, MAX_ALIQUOTS + 1])
def test_aliquots_above_the_ceiling_are_refused(db, tmp_path, capsys, aliquots):
    document = spec(**{f"{POINT}.aliquots": aliquots})
    assert_refused(
        db,
        tmp_path,
        capsys,
        json.dumps(document),
        rf"visit 'v1', point 1, aliquots: .*at most {MAX_ALIQUOTS} aliquots",
    )


def test_the_aliquot_ceiling_is_the_one_the_window_allows(db):
    assert MAX_ALIQUOTS == 99
    import_document(db, spec(**{f"{POINT}.aliquots": MAX_ALIQUOTS}), "zoe.json")
    [visit] = list_visits(db, "A-0001")
    assert visit.totals[0].aliquots == MAX_ALIQUOTS


# ---------------------------------------------------------------- control characters


@pytest.mark.parametrize(
    "field, value",
    [
        ("patient.given_name", "Zo\x00ë"),
        ("patient.given_name", "Zoë\tMaria"),
        ("patient.family_name", "Ångström\nNúñez"),
        ("patient.family_name", "Ångström\u2028Núñez"),  # a Unicode line separator
        ("patient.family_name", "\u202eZenúñ"),  # right-to-left override: shows another name
        ("patient.phone", "+44 20\r7946"),
        ("patient.email", "zoe@exa\x00mple.com"),
    ],
)
def test_control_characters_in_single_line_patient_fields_are_refused(db, tmp_path, capsys, field, value):
    name = field.split(".")[1]
    message = assert_refused(
        db,
        tmp_path,
        capsys,
        json.dumps(spec(**{field: value})),
        rf"patient, {name}: the .* holds an? (control character|line break|tab|invisible)",
    )
    assert "\n" not in message and "\x00" not in message


@pytest.mark.parametrize("chart_number", ["A-0001\x00", "A\t0001", "A-0001\nB", "A-00\u200b01"])
def test_control_characters_in_chart_numbers_are_refused(db, tmp_path, capsys, chart_number):
    assert_refused(
        db,
        tmp_path,
        capsys,
        json.dumps(spec(**{"patient.chart_number": chart_number})),
        r"patient, chart_number: the chart number holds an? (control character|tab|line break|"
        r"invisible formatting character)",
    )


@pytest.mark.parametrize(
    "field, where",
    [
        ("visits.0.external_id", r"visit 1, external_id"),
        ("visits.0.provider.name", r"visit 'v1', provider, name"),
        ("visits.0.provider.credentials", r"visit 'v1', provider, credentials"),
        (f"{POINT}.lot.number", r"visit 'v1', point 1, lot, number"),
    ],
)
def test_control_characters_in_other_single_line_fields_are_refused(db, tmp_path, capsys, field, where):
    document = spec()
    target = document
    *parents, last = field.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[last] = target[last] + "\x00"
    assert_refused(db, tmp_path, capsys, json.dumps(document), rf"{where}: .*control character")


def test_free_text_keeps_its_lines_but_not_nul_or_other_controls(db, tmp_path, capsys):
    assert_refused(
        db,
        tmp_path,
        capsys,
        json.dumps(spec(**{"patient.allergies": "lido\x00caine"})),
        r"patient, allergies: .*control character",
    )
    assert_refused(
        db,
        tmp_path,
        capsys,
        json.dumps(spec(**{"visits.0.notes": "ok\x07"})),
        r"visit 'v1', notes: .*control character",
    )
    assert_refused(
        db,
        tmp_path,
        capsys,
        json.dumps(spec(**{f"{POINT}.notes": "\x1b[31mred"})),
        r"visit 'v1', point 1, notes: .*control character",
    )
    lines = spec(**{"patient.allergies": "lidocaine\nlatex", "visits.0.notes": "line 1\r\n\tline 2"})
    import_document(db, lines, "zoe.json")
    exported = export_patient(db, "A-0001")
    assert exported["patient"]["allergies"] == "lidocaine\nlatex"
    assert exported["visits"][0]["notes"] == "line 1\r\n\tline 2"


def test_a_lone_surrogate_is_refused_not_a_traceback(db, tmp_path, capsys):
    """JSON can spell half of a UTF-16 pair ("\\ud800"); no database can store it."""
    text = json.dumps(spec(**{"visits.0.concern": "x"})).replace('"concern": "x"', '"concern": "\\ud800"')
    assert_refused(db, tmp_path, capsys, text, r"visit 'v1', concern: .*character")
    text = json.dumps(spec(**{"patient.given_name": "x"})).replace(
        '"given_name": "x"', '"given_name": "\\udfff"'
    )
    assert_refused(db, tmp_path, capsys, text, r"patient, given_name: .*character")


def test_names_in_scripts_that_need_joiners_are_accepted(db):
    """Zero-width (non-)joiners are part of Persian and Indic names; emoji keep theirs."""
    import_document(
        db, spec(**{"patient.given_name": "مهر\u200cناز", "patient.family_name": "क्\u200dष"}), "a.json"
    )
    assert export_patient(db, "A-0001")["patient"]["given_name"] == "مهر\u200cناز"


# ---------------------------------------------------------------- chart numbers


@pytest.mark.parametrize("chart_number", ["A/../../etc/x", "A/0001", "A\\0001", "A-0001.", "..", "A-0001/"])
def test_a_chart_number_that_is_a_path_is_refused(db, tmp_path, capsys, chart_number):
    assert_refused(
        db,
        tmp_path,
        capsys,
        json.dumps(spec(**{"patient.chart_number": chart_number})),
        r"patient, chart_number: chart number .* may only hold letters, digits",
    )


# ---------------------------------------------------------------- visits in the future


def test_a_visit_more_than_a_day_ahead_is_refused(db, tmp_path, capsys):
    ahead = (datetime.now(UTC) + timedelta(days=1, hours=1)).isoformat()
    assert_refused(
        db,
        tmp_path,
        capsys,
        json.dumps(spec(**{"visits.0.started_at": ahead})),
        r"visit 'v1', started_at: .*more than a day in the future",
    )


def test_a_visit_later_today_on_another_clock_is_accepted(db):
    """A clinic's clock and the importing computer's may differ by hours (time zones)."""
    soon = (datetime.now(UTC) + timedelta(hours=20)).isoformat()
    document = spec(**{"visits.0.started_at": soon})
    document["visits"][0]["points"][0]["lot"]["expiry"] = "2099-12-31"
    result = import_document(db, document, "zoe.json")
    assert result.visits_added == 1


# ---------------------------------------------------------------- letter case


def test_a_recased_chart_number_is_the_same_patient(db, tmp_path, capsys):
    import_document(db, spec(), "zoe.json")
    status, out, err = run_import(
        db, tmp_path, capsys, json.dumps(spec(**{"patient.chart_number": "a-0001"}))
    )
    assert (status, err) == (0, "")
    assert "A-0001 (existing patient): 0 visits added, 1 already present" in out
    assert [p.chart_number for p in search_patients(db, include_archived=True)] == ["A-0001"]


def test_a_recased_external_id_does_not_count_a_signed_visit_twice(db, tmp_path, capsys):
    import_document(db, spec(), "zoe.json")
    status, out, err = run_import(db, tmp_path, capsys, json.dumps(spec(**{"visits.0.external_id": "V1"})))
    assert (status, err) == (0, ""), err
    assert "0 visits added, 1 already present" in out
    [visit] = list_visits(db, "A-0001")
    assert [str(t.amount) for t in visit.totals] == ["4"]


def test_a_recased_external_id_with_other_content_is_a_conflict(db, tmp_path, capsys):
    import_document(db, spec(), "zoe.json")
    changed = spec(**{"visits.0.external_id": "V1", f"{POINT}.amount": "40"})
    assert_refused(
        db,
        tmp_path,
        capsys,
        json.dumps(changed),
        r"visit 'V1' is already in this chart with different injection points",
    )


def test_two_visits_of_one_file_differing_only_in_case_are_refused(db):
    document = rich_document()
    document["visits"][1]["external_id"] = "V1"
    with pytest.raises(ValidationError, match="visit 'V1': appears twice in the file"):
        import_document(db, document, "zoe.json")
    assert search_patients(db, include_archived=True) == []


def test_export_and_visits_find_a_chart_in_any_case(db):
    import_document(db, spec(), "zoe.json")
    assert export_patient(db, "a-0001")["patient"]["chart_number"] == "A-0001"
    assert len(list_visits(db, "a-0001")) == 1


# ---------------------------------------------------------------- never a traceback

TEXTS = {
    "deeply nested": (
        '{"format": "aliquot.patient/1", "patient": ' + "[" * 100_000 + "]" * 100_000 + "}",
        r"not an Aliquot patient file \(lists or objects nested thousands deep\)$",
    ),
    "a number of 5000 digits": (
        json.dumps(SPEC_EXAMPLE).replace('"aliquots": 1', '"aliquots": 1' + "0" * 5000),
        r"holds a number thousands of digits long",
    ),
    "NaN": (json.dumps(SPEC_EXAMPLE).replace('"x": 0.5', '"x": NaN'), r"NaN is not a value JSON allows"),
    "Infinity": (
        json.dumps(SPEC_EXAMPLE).replace('"aliquots": 1', '"aliquots": -Infinity'),
        r"-Infinity is not a value JSON allows",
    ),
    "an empty file": ("", r"not valid JSON \(line 1, column 1"),
    "a JSON string": (
        '"aliquot.patient/1"',
        r"this is not an Aliquot patient file \(expected a JSON object\)",
    ),
    "not UTF-8": (b'{"format": "aliquot.patient/1", "patient": {"given_name": "Zo\xeb"}}', r"not UTF-8 text"),
}


@pytest.mark.parametrize("label", TEXTS)
def test_malformed_files_get_one_line_and_no_traceback(db, tmp_path, capsys, label):
    text, pattern = TEXTS[label]
    assert_refused(db, tmp_path, capsys, text, pattern)


def test_a_very_long_value_is_cut_short_in_the_message(db, tmp_path, capsys):
    message = assert_refused(
        db, tmp_path, capsys, json.dumps(spec(**{"visits.0.status": "s" * 100_000})), r"visit 'v1', status: "
    )
    assert len(message) <= len("aliquot: ") + 500
    assert message.endswith("is not one of: draft, signed")
