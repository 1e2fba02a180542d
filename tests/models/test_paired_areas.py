"""Left against right within each paired area, never the whole face's left against its right."""

from decimal import Decimal

from models.records import ChartedPoint
from models.totals import (
    describe_difference,
    describe_pair,
    sided_rows,
    totals_by_paired_area,
    totals_by_paired_region,
)
from models.vocabulary import DoseUnit, View


def point(region, amount, product="Botox Cosmetic", unit=DoseUnit.UNITS):
    return ChartedPoint(View.FRONT, 0.5, 0.5, region, product, unit, Decimal(amount), 1)


# The chart: 1 U to the right LLSAN, 25 U to the left masseter. The whole face reads
# "24 U more left"; per area it is two one-sided treatments.
ONE_SIDED = [point("llsan_r", "1"), point("masseter_l", "25")]


def by_name(rows):
    return {(t.name, t.product_name): t for t in rows}


def test_each_paired_area_weighs_its_own_left_against_its_right():
    rows = by_name(totals_by_paired_area(ONE_SIDED))
    masseters = rows["Masseters", "Botox Cosmetic"]
    llsan = rows["Gummy smile (LLSAN)", "Botox Cosmetic"]
    assert (masseters.left, masseters.right, masseters.left_minus_right) == (
        Decimal(25),
        Decimal(0),
        Decimal(25),
    )
    assert (llsan.left, llsan.right, llsan.left_minus_right) == (Decimal(0), Decimal(1), Decimal(-1))
    assert describe_difference(masseters) == "25 U more left"
    assert describe_difference(llsan) == "1 U more right"
    assert not any("24 U" in describe_pair(t) for t in rows.values())


def test_areas_follow_the_catalogue_and_midline_regions_go_to_the_midline_column():
    chart = [
        point("masseter_r", "20"),
        point("procerus", "4"),
        point("corrugator_l", "8"),
        point("corrugator_r", "6"),
        point("chin", "6"),
    ]
    rows = totals_by_paired_area(chart)
    assert [t.name for t in rows] == ["Glabella (frown lines)", "Chin", "Masseters"]
    glabella, chin, _ = rows
    assert (glabella.left, glabella.right, glabella.midline) == (Decimal(8), Decimal(6), Decimal(4))
    assert describe_pair(glabella) == "left 8 U, right 6 U, midline 4 U, 2 U more left"
    assert not chin.paired and describe_difference(chin) == "—" and describe_pair(chin) == "6 U, midline"
    assert [t.name for t in sided_rows(rows)] == ["Glabella (frown lines)", "Masseters"]


def test_products_are_never_added_together_within_an_area():
    chart = [point("crows_feet_l", "12"), point("crows_feet_r", "30", product="Dysport")]
    rows = by_name(totals_by_paired_area(chart))
    botox, dysport = rows["Crow's feet", "Botox Cosmetic"], rows["Crow's feet", "Dysport"]
    assert (botox.left, botox.right) == (Decimal(12), Decimal(0))
    assert (dysport.left, dysport.right) == (Decimal(0), Decimal(30))
    filler = totals_by_paired_area(
        [
            point("upper_lip_l", "0.3", "Kysse", DoseUnit.MILLILITRES),
            point("upper_lip_r", "0.3", "Kysse", DoseUnit.MILLILITRES),
        ]
    )
    assert describe_difference(filler[0]) == "even" and filler[0].left == Decimal("0.3")


def test_per_region_pairs_the_left_region_with_the_right_one():
    chart = ONE_SIDED + [point("masseter_r", "5"), point("forehead", "2"), point("forehead_l", "4")]
    rows = totals_by_paired_region(chart)
    assert [t.name for t in rows] == ["Forehead", "LLSAN (gummy smile)", "Masseter"]
    forehead, llsan, masseter = rows
    assert describe_pair(masseter) == "left 25 U, right 5 U, 20 U more left"
    assert describe_pair(llsan) == "left 0 U, right 1 U, 1 U more right"
    assert (forehead.left, forehead.right, forehead.midline) == (Decimal(4), Decimal(0), Decimal(2))


def test_nothing_charted_has_no_pairs():
    assert totals_by_paired_area([]) == [] and totals_by_paired_region([]) == []
