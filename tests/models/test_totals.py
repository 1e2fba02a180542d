from dataclasses import replace
from decimal import Decimal

from models.records import ChartedPoint
from models.totals import (
    describe_packages,
    packages_by_product,
    packages_implied,
    totals_by_product,
    totals_by_region,
    totals_by_side,
)
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
        ("Botox Cosmetic", Decimal(4)),
        ("Dysport", Decimal(10)),
    ]


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


def from_lot(amount, size, product="Botox Cosmetic", region="procerus"):
    """A point of `amount` units from a lot of `size` U vials (None: size unknown)."""
    return replace(
        point(region, product, amount),
        lot_number="L1",
        lot_package_size=None if size is None else Decimal(size),
    )


def test_vials_used_count_the_lot_s_own_size():
    # 40 U from a 50 U vial is most of that vial, not 0.4 of the product's usual 100 U one.
    assert describe_packages([from_lot("40", "50")], Decimal(100)) == "0.8 of a 50 U vial"
    assert describe_packages([from_lot("40", "100")], Decimal(100)) == "0.4 of a 100 U vial"
    # a lot registered before sizes were recorded counts at the product's default size
    assert describe_packages([from_lot("40", None)], Decimal(100)) == "0.4 of a 100 U vial"


def test_vials_used_from_lots_of_several_sizes_name_them_all():
    mixed = [
        from_lot("40", "50"),
        from_lot("20", "100", region="corrugator_l"),
        from_lot("20", None, region="corrugator_r"),
    ]
    # 40/50 + 20/100 + 20/100 (unknown: the default 100 U)
    assert packages_implied(mixed, Decimal(100)) == (Decimal("1.2"), (Decimal(50), Decimal(100)))
    assert describe_packages(mixed, Decimal(100)) == "1.2 vials (50 U and 100 U)"
    assert describe_packages(mixed[:2], Decimal(100)) == "1 of a vial (50 U and 100 U)"
    assert packages_by_product(
        mixed + [point("crows_feet_l", "Dysport", "30")],
        {"Botox Cosmetic": Decimal(100), "Dysport": Decimal(300)},
    ) == {"Botox Cosmetic": "1.2 vials (50 U and 100 U)", "Dysport": "0.1 of a 300 U vial"}
