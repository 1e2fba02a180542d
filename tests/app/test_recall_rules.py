"""The recall rules a clinic relies on (issue 11), each checked on both paths: the due list
of a day from the recall summary (`due_page`, what today's list reads) and the same day
recomputed from the charts as they stood (`due_list` of a past day, models/recall.py)."""

import copy
import csv
import io
import json
from datetime import UTC, date, datetime

import icalendar
import pytest

from app.exports.due_list import to_csv, to_ics
from app.exports.interchange import export_patient, import_document
from app.services.patients import search_patients
from app.services.recall import due_list, due_page, due_patients
from app.services.visits import create_visit, discard_empty_draft, list_visits
from models.errors import ValidationError
from models.recall import DueStatus
from models.vocabulary import VisitKind
from tests.app.test_interchange import SPEC_EXAMPLE
from tests.app.test_postgres import pg_db as pg_db
from tests.app.test_postgres import pg_url as pg_url

REVIEW = "Review after first treatment"
BOTOX = ("Botox Cosmetic", "4", "U")
HYLENEX = ("Hylenex", "30", "U")
KYSSE = ("Restylane Kysse", "0.5", "mL")


def visit(external_id, day, *points, kind=None):
    """One visit of the file: `points` are (region, (product, amount, unit))."""
    document = copy.deepcopy(SPEC_EXAMPLE["visits"][0])
    document.update(external_id=external_id, started_at=f"{day}T10:00:00+00:00", status="signed")
    template = document["points"][0]
    document["points"] = [
        dict(template, region=region, product=product, amount=amount, unit=unit, lot=None)
        for region, (product, amount, unit) in points
    ]
    if kind is not None:
        document["kind"] = kind
    return document


def chart(db, *visits, chart_number="A-0001", phone=None):
    document = copy.deepcopy(SPEC_EXAMPLE)
    document["patient"].update(chart_number=chart_number, phone=phone)
    document["visits"] = list(visits)
    import_document(db, document, f"{chart_number}.json")


def both(db, day, within=None):
    """The due list of `day` from the summary and recomputed: they must agree."""

    def facts(rows):
        return [
            (
                r.chart_number,
                r.area,
                r.item.product_name,
                r.item.status,
                r.item.due_from,
                getattr(r, "phone", None),
            )
            for r in rows
        ]

    summary = facts(due_page(db, day, within, limit=None).rows)
    recomputed = facts(due_list(db, day, within))
    assert summary == recomputed
    return summary


def areas_listed(db, day, within=None):
    return [(area, product, status) for _chart, area, product, status, _from, _phone in both(db, day, within)]


# ---------------------------------------------------------------- hyaluronidase


def test_hyaluronidase_makes_no_recall_row_of_any_kind(db):
    chart(db, visit("v1", "2025-01-10", ("lower_lip_l", HYLENEX)))
    for day in (date(2025, 1, 20), date(2025, 1, 24), date(2025, 2, 1), date(2026, 1, 10)):
        assert both(db, day, within=3650) == []


def test_hyaluronidase_dissolving_filler_closes_that_areas_filler_recall(db):
    chart(
        db,
        visit(
            "v1",
            "2025-01-10",
            ("lower_lip_l", KYSSE),
            ("lower_lip_r", KYSSE),
            ("cheek_l", ("Juvéderm Voluma XC", "1", "mL")),
            ("cheek_r", ("Juvéderm Voluma XC", "1", "mL")),
        ),
        visit("v2", "2025-02-10", ("lower_lip_l", HYLENEX), ("lower_lip_r", HYLENEX)),
    )
    listed = areas_listed(db, date(2025, 8, 1), within=3650)
    assert ("Cheeks and midface", "Juvéderm Voluma XC", DueStatus.NOT_DUE) in listed  # another area: kept
    assert not [row for row in listed if "lip" in row[0].lower()]


def test_dissolving_one_side_closes_that_side_only(db):
    chart(
        db,
        visit("v1", "2025-01-10", ("nasolabial_l", KYSSE), ("nasolabial_r", KYSSE)),
        visit("v2", "2025-02-10", ("nasolabial_l", HYLENEX)),
    )
    assert areas_listed(db, date(2025, 8, 1), within=3650) == [
        ("Nasolabial fold, right", "Restylane Kysse", DueStatus.DUE)
    ]


def test_filler_given_after_the_dissolving_is_recalled(db):
    chart(
        db,
        visit("v1", "2025-01-10", ("lower_lip_l", HYLENEX)),
        visit("v2", "2025-02-10", ("lower_lip_l", KYSSE), ("lower_lip_r", KYSSE)),
    )
    assert areas_listed(db, date(2025, 8, 10), within=3650) == [
        ("Lower lip", "Restylane Kysse", DueStatus.DUE)
    ]


# ---------------------------------------------------------------- reviews


def test_a_review_visit_without_injections_closes_the_review(db, provider):
    chart(db, visit("v1", "2025-01-10", ("glabella", BOTOX)))
    assert (REVIEW, "Botox Cosmetic", DueStatus.REVIEW) in areas_listed(db, date(2025, 1, 22))
    chart(db, visit("v1", "2025-01-10", ("glabella", BOTOX)), visit("r1", "2025-01-24", kind="review"))
    for day in (date(2025, 1, 26), date(2025, 3, 1)):
        assert not [row for row in areas_listed(db, day) if row[0] == REVIEW]
    # a day before the review visit, recomputed as the charts stood then (the summary is today's)
    assert REVIEW in [row.area for row in due_list(db, date(2025, 1, 23))]


def test_a_review_visit_made_here_closes_the_review_at_once(db, provider):
    chart(db, visit("v1", "2025-01-10", ("glabella", BOTOX)))
    patient = search_patients(db, "A-0001")[0]
    made = create_visit(
        db, patient.id, provider.id, datetime(2025, 1, 24, 10, tzinfo=UTC), kind=VisitKind.REVIEW
    )
    assert made.kind is VisitKind.REVIEW and made.points == []
    assert not [row for row in areas_listed(db, date(2025, 1, 26)) if row[0] == REVIEW]
    assert [v.kind for v in list_visits(db, "A-0001")] == [VisitKind.TREATMENT, VisitKind.REVIEW]
    # closed unsaved, a review visit stays: seeing the patient is a record of its own
    assert not discard_empty_draft(db, made.id, made.version)
    assert [v.kind for v in list_visits(db, "A-0001")] == [VisitKind.TREATMENT, VisitKind.REVIEW]


def test_first_treatment_of_a_new_area_is_reviewed(db):
    chart(
        db,
        visit("v1", "2025-01-10", ("glabella", BOTOX)),
        visit(
            "v2",
            "2025-08-01",
            ("masseter_l", ("Botox Cosmetic", "25", "U")),
            ("masseter_r", ("Botox Cosmetic", "25", "U")),
        ),
    )
    listed = both(db, date(2025, 8, 13))
    assert [(row[1], row[4]) for row in listed if row[1] == REVIEW] == [(REVIEW, date(2025, 8, 15))]
    # the same area again is maintenance, not a first treatment: no review
    chart(
        db,
        visit("w1", "2025-01-10", ("glabella", BOTOX)),
        visit("w2", "2025-05-01", ("glabella", BOTOX)),
        chart_number="B-0002",
    )
    assert not [row for row in both(db, date(2025, 5, 13)) if row[0] == "B-0002" and row[1] == REVIEW]


def test_a_new_area_with_another_product_kind_is_reviewed(db):
    chart(
        db,
        visit("v1", "2025-01-10", ("glabella", BOTOX)),
        visit("v2", "2025-08-01", ("glabella", ("Belotero Balance", "0.2", "mL"))),
    )
    assert (REVIEW, "Belotero Balance", DueStatus.REVIEW) in areas_listed(db, date(2025, 8, 13))


# ---------------------------------------------------------------- sides of a paired area


def test_one_masseter_recalls_that_side_only(db):
    toxin = ("Botox Cosmetic", "25", "U")
    chart(
        db,
        visit("v1", "2025-01-10", ("masseter_l", toxin), ("masseter_r", toxin)),
        visit("v2", "2025-04-20", ("masseter_l", toxin)),
    )
    listed = both(db, date(2025, 5, 20))
    assert [(row[1], row[3], row[4]) for row in listed if row[1] != REVIEW] == [
        ("Masseter, right", DueStatus.OVERDUE, date(2025, 4, 10))
    ]
    later = both(db, date(2025, 5, 20), within=365)
    assert [(row[1], row[4]) for row in later] == [
        ("Masseter, right", date(2025, 4, 10)),
        ("Masseter, left", date(2025, 7, 19)),
    ]


def test_both_sides_alike_make_one_row_and_midline_areas_have_no_side(db):
    toxin = ("Botox Cosmetic", "25", "U")
    chart(
        db, visit("v1", "2025-01-10", ("masseter_l", toxin), ("masseter_r", toxin), ("corrugator_l", BOTOX))
    )
    assert [row[0] for row in areas_listed(db, date(2025, 4, 20))] == ["Glabella (frown lines)", "Masseters"]


# ---------------------------------------------------------------- the list: patients, phone, calendar


def test_the_list_counts_patients_and_shows_the_phone(db):
    chart(
        db,
        visit("v1", "2025-01-10", ("glabella", BOTOX), ("crows_feet_l", BOTOX), ("crows_feet_r", BOTOX)),
        phone="+1 555 0100",
    )
    chart(db, visit("w1", "2025-01-10", ("glabella", BOTOX)), chart_number="B-0002")
    page = due_page(db, date(2025, 4, 20))
    assert (page.total, due_patients(db, date(2025, 4, 20))) == (3, 2)
    assert {(r.chart_number, r.phone) for r in page.rows} == {("A-0001", "+1 555 0100"), ("B-0002", "")}
    rows = due_list(db, date(2025, 4, 20))
    table = list(csv.DictReader(io.StringIO(to_csv(rows, date(2025, 4, 20)).decode("utf-8-sig"))))
    assert {r["phone"].lstrip("'") for r in table} == {"+1 555 0100", ""}  # formula-safe cell


def test_ics_without_names_titles_events_by_chart_number(db):
    chart(db, visit("v1", "2025-01-10", ("glabella", BOTOX)))
    rows = due_list(db, date(2025, 4, 20))
    named = icalendar.Calendar.from_ical(to_ics(rows, date(2025, 4, 20)))
    anonymous = icalendar.Calendar.from_ical(to_ics(rows, date(2025, 4, 20), names=False))
    assert "Ångström" in str(next(iter(named.walk("VEVENT"))).get("summary"))
    [event] = anonymous.walk("VEVENT")
    assert str(event.get("summary")) == "Recall A-0001: Glabella (frown lines)"
    assert "Zoë" not in to_ics(rows, date(2025, 4, 20), names=False).decode("utf-8")


def test_cli_due_phone_patients_and_no_names(tmp_path, db_path, db):
    from tests.app.test_cli import aliquot

    chart(db, visit("v1", "2025-01-10", ("glabella", BOTOX), ("crows_feet_l", BOTOX)), phone="+1 555 0100")
    db.close()
    table = aliquot("due", "--as-of", "2025-04-20", db=db_path).stdout
    assert "2 recalls as of 2025-04-20 (1 patient)" in table and "+1 555 0100" in table
    rows = json.loads(aliquot("due", "--as-of", "2025-04-20", "--format", "json", db=db_path).stdout)
    assert {r["phone"] for r in rows} == {"+1 555 0100"}
    ics = aliquot("due", "--as-of", "2025-04-20", "--format", "ics", "--no-names", db=db_path).stdout
    assert "A-0001" in ics and "Zo" not in ics and "Ångström" not in ics


# ---------------------------------------------------------------- the interchange format


def test_interchange_kind_review_round_trip_and_absent_means_treatment(db, tmp_path):
    chart(db, visit("v1", "2025-01-10", ("glabella", BOTOX)), visit("r1", "2025-01-24", kind="review"))
    document = export_patient(db, "A-0001")
    assert "kind" not in document["visits"][0]  # a treatment: written as before
    assert document["visits"][1]["kind"] == "review" and document["visits"][1]["points"] == []
    assert [v.kind for v in list_visits(db, "A-0001")] == [VisitKind.TREATMENT, VisitKind.REVIEW]
    again = import_document(db, copy.deepcopy(document), "again.json")
    assert again.visits_unchanged == 2
    changed = copy.deepcopy(document)
    del changed["visits"][1]["kind"]
    with pytest.raises(Exception, match="kind"):
        import_document(db, changed, "changed.json")


def test_interchange_refuses_an_unknown_kind(db):
    with pytest.raises(ValidationError, match="kind"):
        chart(db, visit("v1", "2025-01-10", ("glabella", BOTOX), kind="consultation"))


# ---------------------------------------------------------------- PostgreSQL


def test_the_rules_on_postgresql(pg_db):
    """Sides, dissolving, reviews and review visits on the server (both paths agree)."""
    toxin = ("Botox Cosmetic", "25", "U")
    chart(
        pg_db,
        visit(
            "v1",
            "2025-01-10",
            ("masseter_l", toxin),
            ("masseter_r", toxin),
            ("lower_lip_l", KYSSE),
            ("lower_lip_r", KYSSE),
        ),
        visit("v2", "2025-04-20", ("masseter_l", toxin), ("lower_lip_l", HYLENEX), ("lower_lip_r", HYLENEX)),
        visit("r1", "2025-05-04", kind="review"),
        phone="+1 555 0100",
    )
    assert [(row[1], row[4], row[5]) for row in both(pg_db, date(2025, 5, 20), within=365)] == [
        ("Masseter, right", date(2025, 4, 10), "+1 555 0100"),
        ("Masseter, left", date(2025, 7, 19), "+1 555 0100"),
    ]
    assert due_patients(pg_db, date(2025, 5, 20), 365) == 1
