"""Safety checks as pure rules: the issue's examples, sources on every rule, allergies."""

import json
from datetime import date
from decimal import Decimal

import pytest

import resources
from models.errors import ValidationError
from models.guardrails import (
    PastVisit,
    WarningKind,
    allergy_warnings,
    bundled,
    evaluate,
    parse_override,
    product_rule,
    with_overrides,
)
from models.records import ChartedPoint
from models.vocabulary import DoseUnit, View

KINDS = {
    "Botox Cosmetic": "neuromodulator",
    "Dysport": "neuromodulator",
    "Daxxify": "neuromodulator",
    "Juvéderm Voluma XC": "filler",
    "Restylane Lyft": "filler",
    "Hylenex": "enzyme",
}
DAY = date(2025, 3, 2)


def point(region, product, amount, unit=DoseUnit.UNITS):
    return ChartedPoint(View.FRONT, 0.5, 0.5, region, product, DoseUnit(unit), Decimal(amount), 1)


def check(points, history=(), allergies=""):
    return evaluate(points, DAY, history, KINDS, allergies, bundled())


def messages(warnings, kind=None):
    return [w.message for w in warnings if kind is None or w.kind is kind]


def test_every_rule_names_its_source():
    data = json.loads(resources.path("guardrails.json").read_text(encoding="utf-8"))
    for section in ("usual", "per_visit", "ceilings", "cumulative", "min_interval", "allergens"):
        assert data[section]
        for rule in data[section]:
            assert rule["source"].startswith(("label", "clinic setting", "brand")), rule
    catalogue = json.loads(resources.path("catalogue.json").read_text(encoding="utf-8"))
    for product in catalogue["products"]:
        assert "ingredients" in product, product["name"]
        assert all(i["source"] for i in product["ingredients"])
        if product["kind"] == "enzyme":  # never blocked
            assert product.get("max_dose_per_visit") is None


@pytest.mark.parametrize("amount", ["40", "100"])
def test_botox_at_one_upper_lip_site_warns_with_the_usual_range(amount):
    warnings = check([point("upper_lip_r", "Botox Cosmetic", amount)])
    assert f"{amount} U Botox Cosmetic at Upper lip, right (usual 1–4 U per site)" in messages(warnings)
    assert not any(w.refused for w in warnings)
    assert [w.points for w in warnings] == [(0,)]  # said once, not again per area and visit


def test_399_units_at_one_glabella_site_warns():
    warnings = check([point("glabella", "Botox Cosmetic", "399")])
    assert messages(warnings, WarningKind.SITE) == ["399 U Botox Cosmetic at Glabella (usual 2–8 U per site)"]
    assert not any(w.refused for w in warnings)


def test_label_doses_warn_of_nothing():
    glabella = [
        point(r, "Botox Cosmetic", "4")
        for r in ("glabella", "procerus", "corrugator_l", "corrugator_r", "glabella")
    ]
    assert check(glabella) == []
    assert check([point("cheek_l", "Juvéderm Voluma XC", "0.5", DoseUnit.MILLILITRES)]) == []


def test_voluma_10_ml_warns_and_50_ml_is_refused():
    ten = check([point("cheek_l", "Juvéderm Voluma XC", "10", DoseUnit.MILLILITRES)])
    assert not any(w.refused for w in ten)
    assert messages(ten) == [
        "10 mL Juvéderm Voluma XC at Cheek (zygoma/malar), left (usual 0.05–1 mL per site)"
    ]
    fifty = check([point("cheek_l", "Juvéderm Voluma XC", "50", DoseUnit.MILLILITRES)])
    refused = [w.message for w in fifty if w.refused]
    assert any("50 mL of Juvéderm Voluma XC at one site is more than 10 mL" in m for m in refused)


@pytest.mark.parametrize("total", ["500", "1000"])
def test_dysport_500_to_1000_units_in_a_visit_warns(total):
    half = str(Decimal(total) / 10)
    points = [point(r, "Dysport", half) for r in ["masseter_l", "platysma_l"] * 5]
    warnings = check(points)
    assert f"{total} U Dysport in this visit (usual up to 400 U per visit)" in messages(warnings)
    assert not any(w.refused for w in warnings)


def test_two_visits_of_300_units_20_days_apart():
    earlier = PastVisit(
        date(2025, 2, 10), tuple(point(r, "Botox Cosmetic", "30") for r in ["masseter_l", "masseter_r"] * 5)
    )
    today = [point(r, "Botox Cosmetic", "30") for r in ["masseter_l", "masseter_r"] * 5]
    warnings = check(today, [earlier])
    assert messages(warnings, WarningKind.CUMULATIVE) == [
        "600 U Botox Cosmetic within 90 days (since 2025-02-10, this visit included; at most 400 U in 90 days)"
    ]
    assert messages(warnings, WarningKind.INTERVAL) == [
        "Masseters treated with Botox Cosmetic 20 days ago (2025-02-10);"
        " Botox Cosmetic: at least 90 days between treatments"
    ]
    assert [w.source for w in warnings if w.kind is WarningKind.CUMULATIVE] == [
        "label: not more than 400 U in 3 months (cumulative, all indications)"
    ]
    # 91 days later, neither the window nor the interval is broken
    later = PastVisit(date(2024, 12, 1), earlier.points)
    assert check(today, [later]) == check(today)


def test_another_area_or_a_later_visit_is_no_early_retreatment():
    other_area = PastVisit(date(2025, 2, 10), (point("glabella", "Botox Cosmetic", "4"),))
    later = PastVisit(date(2025, 3, 20), (point("masseter_l", "Botox Cosmetic", "25"),))
    assert check([point("masseter_l", "Botox Cosmetic", "25")], [other_area, later]) == []


def test_hyaluronidase_is_never_refused_and_asks_for_nothing():
    assert check([point("cheek_l", "Hylenex", "5000"), point("nasolabial_l", "Hylenex", "3000")]) == []
    rule = product_rule(bundled(), "Hylenex", DoseUnit.UNITS, "enzyme", Decimal("3000"))
    assert rule.max_dose_per_visit is None and rule.max_dose_per_site is None


@pytest.mark.parametrize(
    "allergies",
    ["lidocaine", "LIDOCAÏNE (rash)", "Allergic to xylocaine, penicillin", "lignocaine; latex", "Lidocain"],
)
def test_restylane_lyft_warns_a_lidocaine_allergy(allergies):
    [warning] = allergy_warnings(
        [point("cheek_l", "Restylane Lyft", "1", DoseUnit.MILLILITRES)], allergies, bundled()
    )
    assert warning.kind is WarningKind.ALLERGY and warning.message.startswith(
        "Restylane Lyft contains lidocaine"
    )
    assert warning.source.startswith("label")


@pytest.mark.parametrize(
    "allergies, product, ingredient",
    [
        ("cow's milk", "Dysport", "cow's milk protein"),
        ("albumin", "Botox Cosmetic", "human albumin"),
        ("Gram-positive bacterial proteins", "Juvéderm Voluma XC", "streptococcal protein"),
    ],
)
def test_other_label_ingredients(allergies, product, ingredient):
    [warning] = allergy_warnings([point("glabella", product, "1")], allergies, bundled())
    assert f"{product} contains {ingredient}" in warning.message


@pytest.mark.parametrize(
    "allergies, product",
    [
        ("", "Restylane Lyft"),
        ("penicillin", "Restylane Lyft"),
        ("lidocaine", "Daxxify"),
        ("albumin", "Daxxify"),
        ("milkweed pollen", "Dysport"),
    ],
)
def test_no_warning_without_a_named_ingredient(allergies, product):
    assert allergy_warnings([point("glabella", product, "1")], allergies, bundled()) == []


def test_a_clinic_may_change_a_clinic_setting_but_not_the_label():
    rules = with_overrides(
        bundled(),
        {
            "toxin-4u-upper_lip": {"per_site": parse_override("per_site", "1-10")},
            "botox-3-months": {"max": "800"},
            "unknown": {"days": 3},
        },
    )
    assert check([point("upper_lip_r", "Botox Cosmetic", "8")]) != []
    assert evaluate([point("upper_lip_r", "Botox Cosmetic", "8")], DAY, [], KINDS, "", rules) == []
    assert next(r for r in rules.cumulative if r.id == "botox-3-months").maximum == Decimal(400)
    with pytest.raises(ValidationError, match="not a range"):
        parse_override("per_site", "4-1")
    with pytest.raises(ValidationError, match="cannot be changed"):
        parse_override("source", "x")
