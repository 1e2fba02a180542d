from decimal import Decimal

from models.records import ChartedPoint
from models.totals import totals_by_product, totals_by_region, totals_by_side
from models.vocabulary import DoseUnit, View


def point(region, product, amount, aliquots=1, unit=DoseUnit.UNITS):
    return ChartedPoint(View.FRONT, 0.5, 0.5, region, product, unit, Decimal(amount), aliquots)


CHART = [
    point("procerus", "Botox Cosmetic", "4"),
    point("corrugator_l", "Botox Cosmetic", "8", 2),
    point("corrugator_r", "Botox Cosmetic", "8", 2),
    point("crows_feet_l", "Dysport", "30", 3),
    point("crows_feet_r", "Dysport", "20", 2),
    point("upper_lip_l", "Restylane Kysse", "0.25", 5, DoseUnit.MILLILITRES),
    point("upper_lip_r", "Restylane Kysse", "0.2", 4, DoseUnit.MILLILITRES),
]


def test_totals_per_product_never_mix_brands():
    totals = {t.product_name: t for t in totals_by_product(CHART)}
    assert list(totals) == ["Botox Cosmetic", "Dysport", "Restylane Kysse"]
    assert totals["Botox Cosmetic"].amount == Decimal(20)
    assert (totals["Botox Cosmetic"].aliquots, totals["Botox Cosmetic"].sites) == (5, 3)
    assert totals["Dysport"].amount == Decimal(50)
    assert totals["Restylane Kysse"].amount == Decimal("0.45")
    assert totals["Restylane Kysse"].unit is DoseUnit.MILLILITRES


def test_totals_per_region_in_catalogue_order():
    by_region = totals_by_region(CHART + [point("procerus", "Dysport", "10")])
    assert list(by_region)[:3] == ["procerus", "corrugator_l", "corrugator_r"]
    assert [(t.product_name, t.amount) for t in by_region["procerus"]] == [
        ("Botox Cosmetic", Decimal(4)), ("Dysport", Decimal(10))]


def test_totals_per_side_show_the_asymmetry():
    sides = {s.product_name: s for s in totals_by_side(CHART)}
    botox = sides["Botox Cosmetic"]
    assert (botox.left, botox.right, botox.midline) == (Decimal(8), Decimal(8), Decimal(4))
    assert botox.left_minus_right == 0
    assert sides["Dysport"].left_minus_right == Decimal(10)
    assert sides["Restylane Kysse"].left_minus_right == Decimal("0.05")


def test_amount_per_aliquot_is_derived():
    assert point("glabella", "Botox Cosmetic", "20", 5).amount_per_aliquot == Decimal(4)
    assert point("upper_lip_l", "Restylane Kysse", "1", 10).amount_per_aliquot == Decimal("0.1")


def test_empty_chart_has_no_totals():
    assert totals_by_product([]) == [] and totals_by_side([]) == [] and totals_by_region([]) == {}
