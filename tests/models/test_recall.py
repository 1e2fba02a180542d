"""The maintenance rules, case by case (today is always passed in)."""

from datetime import date

import pytest

from models.recall import DueStatus, RecallSettings, Treated, area_of_region, areas, due_items
from models.regions import REGIONS

NO_REVIEW = RecallSettings(review_days=None)


def botox(patient, day, area="glabella", product="Botox Cosmetic", interval=(90, 120), kind="neuromodulator"):
    return Treated(patient, day, area, product, kind, *interval)


def filler(patient, day, area="cheeks", product="Juvéderm Voluma XC", interval=(600, 730)):
    return Treated(patient, day, area, product, "filler", *interval)


def test_every_region_belongs_to_exactly_one_area():
    assert set(area_of_region()) == set(REGIONS)
    assert area_of_region()["procerus"] == area_of_region()["corrugator_l"] == "glabella"
    assert area_of_region()["crows_feet_l"] == area_of_region()["crows_feet_r"] == "crows_feet"
    assert area_of_region()["upper_lip_l"] != area_of_region()["lower_lip_l"]  # each lip its own area
    assert len(areas()) >= 15


@pytest.mark.parametrize(
    "today, status",
    [
        (date(2025, 3, 26), DueStatus.NOT_DUE),  # 75 days after: more than 14 days before the window
        (date(2025, 3, 27), DueStatus.DUE_SOON),  # 14 days before day 90
        (date(2025, 4, 10), DueStatus.DUE),  # day 90: the window opens
        (date(2025, 5, 10), DueStatus.DUE),  # day 120: last day of the window
        (date(2025, 5, 11), DueStatus.OVERDUE),  # day 121
    ],
)
def test_neuromodulator_window(today, status):
    [item] = due_items([botox(1, date(2025, 1, 10))], today, NO_REVIEW)
    assert (item.due_from, item.due_by, item.status) == (date(2025, 4, 10), date(2025, 5, 10), status)


def test_month_ends_and_leap_day():
    [item] = due_items([botox(1, date(2024, 1, 31))], date(2024, 6, 1), NO_REVIEW)
    assert (item.due_from, item.due_by) == (date(2024, 4, 30), date(2024, 5, 30))  # 2024 is leap
    [leap] = due_items([filler(1, date(2024, 2, 29), interval=(365, 365))], date(2024, 3, 1), NO_REVIEW)
    assert leap.due_from == date(2025, 2, 28)
    assert leap.days_overdue(date(2025, 3, 5)) == 5


def test_product_exceptions_come_from_the_product():
    [daxxify] = due_items(
        [botox(1, date(2025, 1, 10), product="Daxxify", interval=(150, 210))], date(2025, 5, 1), NO_REVIEW
    )
    assert daxxify.due_from == date(2025, 6, 9) and daxxify.status is DueStatus.NOT_DUE


def test_later_treatment_supersedes_and_kinds_are_separate():
    items = due_items(
        [
            botox(1, date(2025, 1, 10)),
            botox(1, date(2025, 4, 15)),
            filler(1, date(2025, 1, 10), area="glabella", product="Belotero Balance", interval=(240, 365)),
        ],
        date(2025, 6, 1),
        NO_REVIEW,
    )
    toxin = next(i for i in items if i.product_kind == "neuromodulator")
    assert toxin.last_treated == date(2025, 4, 15) and toxin.status is DueStatus.NOT_DUE
    assert {i.product_kind for i in items} == {"neuromodulator", "filler"}


def test_several_products_in_one_visit_and_areas():
    visit = date(2025, 1, 10)
    items = due_items(
        [
            botox(1, visit, "glabella"),
            botox(1, visit, "crows_feet"),
            filler(1, visit, "lower_lip", "Restylane Kysse", (180, 365)),
        ],
        date(2025, 4, 20),
        NO_REVIEW,
    )
    assert {(i.area, i.status) for i in items} == {
        ("glabella", DueStatus.DUE),
        ("crows_feet", DueStatus.DUE),
        ("lower_lip", DueStatus.NOT_DUE),
    }


def test_hyaluronidase_never_makes_a_due_date():
    enzyme = Treated(1, date(2025, 1, 10), "lower_lip", "Hylenex", "enzyme", None, None)
    assert due_items([enzyme], date(2026, 1, 1), NO_REVIEW) == []


def test_future_treatments_are_ignored_for_a_past_as_of_date():
    items = due_items([botox(1, date(2025, 1, 10)), botox(1, date(2025, 6, 1))], date(2025, 5, 20), NO_REVIEW)
    assert items[0].last_treated == date(2025, 1, 10) and items[0].status is DueStatus.OVERDUE


def test_review_after_a_first_treatment():
    first = [botox(1, date(2025, 1, 10))]
    settings = RecallSettings(review_days=14, lead_days=3)
    assert [i.status for i in due_items(first, date(2025, 1, 20), settings)] == [DueStatus.NOT_DUE]
    review = [i for i in due_items(first, date(2025, 1, 22), settings) if i.status is DueStatus.REVIEW]
    assert review and review[0].due_from == date(2025, 1, 24)
    seen_again = first + [botox(1, date(2025, 1, 24))]
    assert all(i.status is not DueStatus.REVIEW for i in due_items(seen_again, date(2025, 1, 30), settings))
    assert all(
        i.status is not DueStatus.REVIEW for i in due_items(first, date(2025, 6, 1), settings)
    )  # stale
    assert all(i.status is not DueStatus.REVIEW for i in due_items(first, date(2025, 1, 24), NO_REVIEW))


def test_most_urgent_first_and_empty():
    items = due_items([botox(1, date(2024, 1, 1)), botox(2, date(2025, 1, 1))], date(2025, 4, 5), NO_REVIEW)
    assert [i.patient_id for i in items] == [1, 2] and items[0].status is DueStatus.OVERDUE
    assert due_items([], date(2025, 1, 1)) == []
