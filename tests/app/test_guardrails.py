"""Safety checks through the services: the reason stored with the visit and printed on its
record, hard ceilings refused with the figures, hyaluronidase never refused, historic
imports told their warnings, the clinic's changes to weak rules."""

import copy
import io
import json
from datetime import date
from decimal import Decimal

import pypdf
import pytest

from app.exports.interchange import import_document
from app.exports.records import visit_record_pdf
from app.services.guardrails import load_guardrails, safety_context, set_guardrail, visit_warnings
from app.services.visits import create_visit, get_visit, replace_points
from models.errors import ValidationError
from tests.app.test_cli import aliquot
from tests.app.test_interchange import SPEC_EXAMPLE
from tests.conftest import at, botox_point, snapshot

LIP_100 = {
    "view": "front",
    "x": 0.465,
    "y": 0.652,
    "region": "upper_lip_r",
    "product": "Botox Cosmetic",
    "lot": {"number": "C1234", "expiry": "2026-12-31"},
    "amount": "100",
    "unit": "U",
    "aliquots": 1,
    "depth": "intramuscular",
    "technique": "needle",
    "gauge": "30G",
    "notes": "",
}
WARNING = "warning: U-0007 2025-03-02: 100 U Botox Cosmetic at Upper lip, right (usual 1–4 U per site)"


def historic_document():
    document = copy.deepcopy(SPEC_EXAMPLE)
    document["patient"]["chart_number"] = "U-0007"
    document["visits"][0].update(external_id="old", started_at="2025-03-02T10:00:00+00:00", points=[LIP_100])
    return document


def hylenex_point(amount):
    return botox_point(
        "cheek_l",
        amount,
        product_name="Hylenex",
        lot_number=None,
        lot_expiry=None,
        depth=None,
        technique=None,
    )


@pytest.fixture
def visit(db, patient, provider):
    return create_visit(db, patient.id, provider.id, at(2025, 3, 2))


def test_the_reason_is_stored_with_the_visit(db, visit):
    saved = replace_points(
        db,
        visit.id,
        visit.version,
        [botox_point("upper_lip_r", "100")],
        warning_reason="Lip flip typed per lip: 4 U intended, corrected at review",
    )
    assert saved.warning_reason == "Lip flip typed per lip: 4 U intended, corrected at review"
    assert get_visit(db, visit.id).warning_reason == saved.warning_reason
    [warning] = visit_warnings(db, visit.id)
    assert warning.message == "100 U Botox Cosmetic at Upper lip, right (usual 1–4 U per site)"


def test_the_record_prints_the_warnings_and_the_reason(db, visit):
    replace_points(
        db,
        visit.id,
        visit.version,
        [botox_point("glabella", "399")],
        warning_reason="Trial of the record printer",
    )
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in pypdf.PdfReader(io.BytesIO(visit_record_pdf(db, visit.id))).pages
    )
    assert "Safety warnings" in text
    assert "399 U Botox Cosmetic at Glabella (usual 2–8 U per site)" in text
    assert "Reason given: Trial of the record printer" in text


def test_a_record_without_warnings_has_no_safety_section(db, visit):
    replace_points(db, visit.id, visit.version, [botox_point("glabella", "4")], warning_reason="")
    text = pypdf.PdfReader(io.BytesIO(visit_record_pdf(db, visit.id))).pages[0].extract_text()
    assert "Safety warnings" not in text


def test_above_a_hard_ceiling_the_save_is_refused_with_the_figures(db, visit):
    before = snapshot(db)
    fifty = botox_point(
        "cheek_l", "50", product_name="Juvéderm Voluma XC", unit="mL", lot_number=None, lot_expiry=None
    )
    with pytest.raises(
        ValidationError,
        match=r"point 1: 50 mL of Juvéderm Voluma XC at one site is more"
        r" than 10 mL, the most charted at one site",
    ):
        replace_points(db, visit.id, visit.version, [fifty], warning_reason="anything")
    assert snapshot(db) == before


def test_hyaluronidase_5000_units_is_saved(db, visit):
    saved = replace_points(db, visit.id, visit.version, [hylenex_point("3000"), hylenex_point("2000")])
    assert sum(p.amount for p in saved.points) == Decimal(5000)
    assert visit_warnings(db, visit.id) == []


def test_two_visits_of_300_units_20_days_apart(db, patient, provider):
    first = create_visit(db, patient.id, provider.id, at(2025, 2, 10))
    sites = [botox_point(r, "30") for r in ["masseter_l", "masseter_r"] * 5]
    replace_points(db, first.id, first.version, sites, warning_reason="masseter reduction")
    second = create_visit(db, patient.id, provider.id, at(2025, 3, 2))
    context = safety_context(db, patient.id, second.id)
    messages = [w.message for w in context.warnings(get_visit(db, first.id).points, date(2025, 3, 2))]
    assert (
        "600 U Botox Cosmetic within 90 days (since 2025-02-10, this visit included; at most 400 U in 90 days)"
        in messages
    )
    assert any(m.startswith("Masseters treated with Botox Cosmetic 20 days ago") for m in messages)


def test_historic_import_is_stored_and_its_warnings_told(db):
    result = import_document(db, historic_document(), "u7.json")
    assert result.visits_added == 1
    assert result.warnings == (WARNING,)


def test_cli_import_prints_each_warning_and_succeeds(tmp_path, db_path):
    source = tmp_path / "u7.json"
    source.write_text(json.dumps(historic_document()), encoding="utf-8")
    result = aliquot("import", source, db=db_path, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [WARNING]
    assert "U-0007 (new patient): 1 visit added" in result.stdout


def test_import_of_hyaluronidase_5000_units_is_not_refused(db):
    document = historic_document()
    document["visits"][0]["points"] = [
        dict(
            LIP_100, region="cheek_l", product="Hylenex", amount="5000", lot=None, depth=None, technique=None
        )
    ]
    result = import_document(db, document, "hyal.json")
    assert (result.visits_added, result.warnings) == (1, ())


def test_a_clinic_changes_a_weak_rule_and_not_a_label_rule(db, visit):
    rule = set_guardrail(db, "toxin-4u-upper_lip", "per_site", "1-6")
    assert (rule.per_site.low, rule.per_site.high) == (1, 6)
    rules = load_guardrails(db)
    assert next(r for r in rules.usual if r.id == "toxin-4u-upper_lip").per_site.high == 6
    replace_points(db, visit.id, visit.version, [botox_point("upper_lip_r", "6")])
    assert visit_warnings(db, visit.id) == []
    with pytest.raises(ValidationError, match="comes from the label"):
        set_guardrail(db, "botox-3-months", "max", "800")
    set_guardrail(db, "toxin-4u-upper_lip", "per_site", None)
    assert len(visit_warnings(db, visit.id)) == 1


def test_cli_lists_the_rules_with_sources_and_changes_a_clinic_setting(db_path):
    listed = json.loads(aliquot("guardrails", "--json", db=db_path).stdout)
    botox = next(r for r in listed if r["id"] == "botox-3-months")
    assert (botox["max"], botox["days"], botox["editable"]) == ("400", 90, False)
    assert all(r["source"] for r in listed)
    aliquot("guardrails", "--set", "toxin-4u-upper_lip", "per_site", "1-6", db=db_path)
    listed = json.loads(aliquot("guardrails", "--json", db=db_path).stdout)
    assert next(r for r in listed if r["id"] == "toxin-4u-upper_lip")["per_site"] == ["1", "6"]
    refused = aliquot("guardrails", "--set", "botox-3-months", "max", "800", db=db_path, check=False)
    assert refused.returncode != 0 and "comes from the label" in refused.stderr
