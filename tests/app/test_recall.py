"""The due list from the database, and its CSV and ICS read back by standard parsers."""

import copy
import csv
import io
import json
from datetime import date, datetime, time, timedelta

import icalendar

from app.exports.due_list import to_csv, to_ics
from app.exports.interchange import import_document
from app.services.patients import search_patients, set_archived
from app.services.recall import due_list
from app.services.visits import create_visit
from models.recall import DueStatus
from tests.app.test_interchange import SPEC_EXAMPLE
from tests.conftest import at

TODAY = date(2026, 6, 1)  # the recall tests' "today": fixed, never the wall clock


def days_before(db, days: int) -> datetime:
    """A visit's moment, 10:00 on the clinic's clock `days` before TODAY."""
    return datetime.combine(TODAY - timedelta(days=days), time(10), db.timezone)


def chart(
    db,
    chart_number="A-0001",
    visits=(("v1", "2025-01-10T10:00:00+00:00", "glabella", "Botox Cosmetic", "4", "U"),),
    status="signed",
):
    document = copy.deepcopy(SPEC_EXAMPLE)
    document["patient"]["chart_number"] = chart_number
    point = document["visits"][0]["points"][0]
    document["visits"] = []
    for external_id, started, region, product, amount, unit in visits:
        visit = copy.deepcopy(SPEC_EXAMPLE["visits"][0])
        visit.update(external_id=external_id, started_at=started, status=status)
        visit["points"] = [dict(point, region=region, product=product, amount=amount, unit=unit, lot=None)]
        document["visits"].append(visit)
    import_document(db, document, f"{chart_number}.json")


def test_due_list_rows(db):
    chart(
        db,
        visits=[
            ("v1", "2025-01-10T10:00:00+00:00", "glabella", "Botox Cosmetic", "4", "U"),
            ("v2", "2025-01-10T10:00:00+00:00", "cheek_l", "Juvéderm Voluma XC", "0.5", "mL"),
        ],
    )
    rows = due_list(db, date(2025, 4, 20))
    assert [(r.chart_number, r.area, r.item.product_name, r.item.status) for r in rows] == [
        ("A-0001", "Glabella (frown lines)", "Botox Cosmetic", DueStatus.DUE)
    ]
    assert rows[0].item.due_from == date(2025, 4, 10) and rows[0].patient_name == "Zoë Ångström-Núñez"
    later = due_list(db, date(2025, 4, 20), within_days=700)
    assert {r.item.product_name for r in later} == {"Botox Cosmetic", "Juvéderm Voluma XC"}


def test_drafts_with_points_count_empty_drafts_do_not(db, provider):
    chart(
        db,
        visits=[("v1", "2025-01-10T10:00:00+00:00", "glabella", "Botox Cosmetic", "4", "U")],
        status="draft",
    )
    patient = search_patients(db, "A-0001")[0]
    create_visit(db, patient.id, provider.id, at(2025, 4, 1))  # opened, nothing charted
    [row] = due_list(db, date(2025, 4, 20))
    assert row.item.last_treated == date(2025, 1, 10)


def test_archived_patients_are_left_out_and_empty_database(db):
    assert due_list(db, date(2025, 4, 20)) == []
    chart(db)
    set_archived(db, search_patients(db, "A-0001")[0].id)
    assert due_list(db, date(2025, 4, 20)) == []


def test_csv_and_ics_read_back(db):
    chart(db)
    chart(db, "B-0002", visits=[("w1", "2024-12-01T10:00:00+00:00", "crows_feet_l", "Dysport", "30", "U")])
    today = date(2025, 4, 20)
    rows = due_list(db, today)
    table = list(csv.DictReader(io.StringIO(to_csv(rows, today).decode("utf-8-sig"))))
    assert [(r["chart_number"], r["status"], r["days_overdue"]) for r in table] == [
        ("B-0002", "overdue", "20"),
        ("A-0001", "due", "0"),
    ]
    calendar = icalendar.Calendar.from_ical(to_ics(rows, today))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 2
    assert events[0].decoded("dtstart") == date(2025, 3, 1)
    assert "B-0002" in str(events[0].get("summary"))
    assert len({str(e.get("uid")) for e in events}) == 2


def test_cli_due_formats(tmp_path, db_path, db):
    from tests.app.test_cli import aliquot, assert_one_line_refusal

    chart(db)
    db.close()
    rows = json.loads(aliquot("due", "--as-of", "2025-04-20", "--format", "json", db=db_path).stdout)
    assert (
        rows[0]["chart_number"] == "A-0001"
        and rows[0]["status"] == "due"
        and rows[0]["due_from"] == "2025-04-10"
    )
    out = tmp_path / "recalls.ics"
    aliquot("due", "--as-of", "2025-04-20", "--format", "ics", "-o", out, db=db_path)
    assert len(list(icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT"))) == 1
    table = aliquot("due", "--as-of", "2025-04-20", db=db_path).stdout
    assert "1 recall as of 2025-04-20" in table and "Glabella" in table
    assert_one_line_refusal(aliquot("due", "--within", "-3", db=db_path, check=False), "must be 0 or more", 2)


def assert_summary_is_exact(db, today, within_days=30):
    """Today's list read from the summary equals the full recomputation from the charts."""
    from app.services.recall import load_recall_settings, treated_facts
    from models.recall import due_items

    settings = load_recall_settings(db)
    fast = due_list(db, today, within_days=within_days)
    archived = {p.id for p in search_patients(db, include_archived=True, limit=1000) if p.archived}
    exact = [i for i in due_items(treated_facts(db), today, settings) if i.patient_id not in archived]
    horizon = today + timedelta(days=within_days)
    exact = [i for i in exact if i.status is not DueStatus.NOT_DUE or i.due_from <= horizon]

    def key(i):
        return (i.patient_id, i.area, i.product_name, i.due_from, i.due_by, i.status)

    assert sorted(map(key, (r.item for r in fast))) == sorted(map(key, exact))
    assert fast, "the demo clinic has recalls"


def test_the_summary_answers_today_exactly_as_the_charts_do(db):
    """Today's list reads the summary kept on save; it must equal the full recomputation."""
    from app.demo import generate_demo

    today = TODAY
    generate_demo(db, patients=80, seed=4, as_of=today)
    assert_summary_is_exact(db, today)


def test_the_settings_dialog_changes_are_stored_together_or_not_at_all(db):
    import pytest

    from app.demo import generate_demo
    from app.services.recall import load_recall_settings, save_recall_changes
    from models.errors import NotFoundError, ValidationError
    from models.recall import RecallSettings
    from tests.conftest import snapshot

    today = TODAY
    generate_demo(db, patients=80, seed=4, as_of=today)
    before = snapshot(db)
    with pytest.raises(ValidationError, match="Dysport must run"):
        save_recall_changes(
            db, {"Botox Cosmetic": (60, 80), "Dysport": (120, 90)}, RecallSettings(lead_days=20)
        )
    assert snapshot(db) == before
    # refused inside the transaction, after the first product's window has moved
    with pytest.raises(NotFoundError, match="not a product"):
        save_recall_changes(
            db, {"Botox Cosmetic": (60, 80), "No Such Filler": (90, 120)}, RecallSettings(lead_days=20)
        )
    assert snapshot(db) == before
    save_recall_changes(
        db, {"Botox Cosmetic": (60, 80), "Juvéderm Voluma XC": (300, 400)}, RecallSettings(lead_days=20)
    )  # the review delay stays: only the moved patients
    assert load_recall_settings(db).lead_days == 20
    assert_summary_is_exact(db, today)


def test_saving_a_chart_updates_the_recall_summary(db, patient, provider):
    from app.services.visits import create_visit, replace_points
    from tests.conftest import botox_point

    today = TODAY
    moment = days_before(db, 95)
    visit = create_visit(db, patient.id, provider.id, moment)
    assert due_list(db, today) == []
    replace_points(db, visit.id, visit.version, [botox_point("procerus")])
    [row] = due_list(db, today)
    assert row.item.status is DueStatus.DUE and row.area == "Glabella (frown lines)"
    replace_points(db, visit.id, visit.version + 1, [botox_point("chin")])
    assert [r.area for r in due_list(db, today)] == ["Chin"]


def test_settings_and_product_intervals_drive_every_computation(db, patient, provider):
    import pytest

    from app.services.recall import due_page, load_recall_settings, update_intervals
    from app.services.settings import save_recall_settings
    from app.services.visits import create_visit, replace_points
    from models.errors import ValidationError
    from models.recall import RecallSettings
    from tests.conftest import botox_point

    today = TODAY
    visit = create_visit(db, patient.id, provider.id, days_before(db, 70))
    replace_points(db, visit.id, visit.version, [botox_point("procerus")])
    assert [r.item.status for r in due_list(db, today)] == [DueStatus.REVIEW]  # first treatment
    save_recall_settings(db, RecallSettings(review_days=None))
    assert [r.item.status for r in due_list(db, today)] == []  # 70 days: not yet due soon
    update_intervals(db, "Botox Cosmetic", 60, 80)
    [row] = due_list(db, today)
    assert row.item.status is DueStatus.DUE and row.item.due_by - row.item.last_treated == timedelta(days=80)
    assert row.provider_name == "Dana Reyes"
    page = due_page(db, today)
    assert page.counts == {DueStatus.DUE: 1} and page.total == 1
    save_recall_settings(db, RecallSettings(lead_days=30, review_days=None))
    assert load_recall_settings(db).lead_days == 30
    update_intervals(db, "Botox Cosmetic", 90, 120)
    assert [r.item.status for r in due_list(db, today)] == [DueStatus.DUE_SOON]  # 20 days away, lead 30
    with pytest.raises(ValidationError, match="first end before the second"):
        update_intervals(db, "Botox Cosmetic", 120, 90)
    with pytest.raises(ValidationError, match="lead days must be between"):
        save_recall_settings(db, RecallSettings(lead_days=-1))


def test_a_past_day_sees_the_treatments_given_by_then(db):
    """Treated in January, April and July: asked about June, April is the last treatment."""
    chart(
        db,
        visits=[
            ("v1", "2025-01-10T10:00:00+00:00", "glabella", "Botox Cosmetic", "4", "U"),
            ("v2", "2025-04-10T10:00:00+00:00", "glabella", "Botox Cosmetic", "4", "U"),
            ("v3", "2025-07-10T10:00:00+00:00", "glabella", "Botox Cosmetic", "4", "U"),
        ],
    )
    [row] = due_list(db, date(2025, 6, 25))
    assert row.item.last_treated == date(2025, 4, 10) and row.item.status is DueStatus.DUE_SOON
