"""The recall summary is kept up to date from one place (the session hook fed by Changes),
and the due status has one definition, shared by the SQL of the due list and Python."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.demo import generate_demo
from app.services.changes import NOTHING, Changes, note, noted
from app.services.recall import _due_status, due_list, due_page, save_recall_changes, update_intervals
from app.services.settings import set_clinic_timezone
from app.services.summary import refresh_recall
from app.services.visits import create_visit, replace_points
from models.recall import DueStatus, RecallSettings, status_on
from models.tables import Patient, Product, RecallItem
from tests.conftest import botox_point

TODAY = date(2026, 6, 1)


def _rows_in(session) -> list[tuple]:
    return sorted(
        session.execute(
            select(
                RecallItem.patient_id,
                RecallItem.area,
                RecallItem.side,
                RecallItem.product_id,
                RecallItem.provider_id,
                RecallItem.last_treated,
                RecallItem.due_from,
                RecallItem.due_by,
            )
        ).all()
    )


def summary_rows(db) -> list[tuple]:
    with db.factory() as session:
        return _rows_in(session)


def rebuilt_rows(db) -> list[tuple]:
    """The summary as a full rebuild from the charts makes it (rolled back after reading)."""
    with db.factory() as session:
        refresh_recall(session, db.timezone)
        rows = _rows_in(session)
        session.rollback()
    return rows


def test_a_noted_change_refreshes_that_patient_in_the_same_transaction(db, patient, provider):
    visit = create_visit(db, patient.id, provider.id, datetime(2026, 1, 5, 10, tzinfo=db.timezone))
    saved = replace_points(db, visit.id, visit.version, [botox_point()])
    assert saved.changes == Changes.of_patients(patient.id)
    assert [row[5] for row in summary_rows(db)] == [date(2026, 1, 5), date(2026, 1, 5)]  # window, review
    # Rows deleted behind the summary's back come back only when a change names the patient.
    with db.factory.begin() as session:
        session.query(RecallItem).delete()
    assert summary_rows(db) == []
    with db.factory.begin() as session:
        note(session, Changes(providers=True))  # no patient, no rule: nothing to rebuild
    assert summary_rows(db) == []
    with db.factory.begin() as session:
        note(session, Changes.of_patients(patient.id))
        assert session.scalar(select(RecallItem.id)) is None  # brought up to date as it commits
    assert summary_rows(db) == rebuilt_rows(db) and summary_rows(db)
    # A transaction rolled back rebuilds nothing and forgets what it noted.
    with db.factory.begin() as session:
        session.query(RecallItem).delete()
    with db.factory() as session:
        session.query(RecallItem).delete()
        note(session, Changes.of_patients(patient.id))
        session.rollback()
        assert noted(session) == NOTHING
        session.commit()
    assert summary_rows(db) == []


def test_no_module_refreshes_the_summary_but_the_summary_module() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    callers = [
        path.relative_to(root).as_posix()
        for folder in ("app", "ui")
        for path in (root / folder).rglob("*.py")
        if "refresh_recall(" in path.read_text(encoding="utf-8")
    ]
    assert callers == ["app/services/summary.py"]
    database = (root / "app/storage/database.py").read_text(encoding="utf-8")
    assert "app.services.recall" not in database


def test_changing_an_interval_moves_only_that_products_rows_exactly_as_a_rebuild(db):
    generate_demo(db, patients=80, seed=4, as_of=TODAY)
    before = summary_rows(db)
    with db.factory() as session:
        botox = session.scalar(select(Product).where(Product.name == "Botox Cosmetic"))
        assert botox is not None
        botox_id, low, high = botox.id, botox.interval_min_days, botox.interval_max_days
    changes = update_intervals(db, "Botox Cosmetic", low + 7, high + 9)
    assert changes.intervals == {botox_id} and changes.touches_recall
    after = summary_rows(db)
    assert after == rebuilt_rows(db)
    moved = {(r[0], r[1], r[2], r[3]) for r in set(after) - set(before)}
    assert moved and {r[3] for r in moved} == {botox_id}
    assert all(r[6] - r[5] == timedelta(days=low + 7) for r in after if r[3] == botox_id and r[1])
    # Taken away and given again: the rows go and come back, as a rebuild makes them.
    update_intervals(db, "Botox Cosmetic", None, None)
    assert summary_rows(db) == rebuilt_rows(db)
    assert not [r for r in summary_rows(db) if r[3] == botox_id and r[1]]
    update_intervals(db, "Botox Cosmetic", low, high)
    assert summary_rows(db) == rebuilt_rows(db) == before


def test_the_review_delay_rebuilds_everyone_the_lead_only_redraws(db):
    generate_demo(db, patients=40, seed=2, as_of=TODAY)
    changes = save_recall_changes(db, {}, RecallSettings(lead_days=21))
    assert changes == Changes(recall_settings=True) and changes.touches_recall
    changes = save_recall_changes(db, {}, RecallSettings(lead_days=21, review_days=10))
    assert changes.recall_rules
    assert summary_rows(db) == rebuilt_rows(db)
    reviews = [r for r in summary_rows(db) if not r[1]]
    assert reviews and all(r[6] - r[5] == timedelta(days=10) for r in reviews)


def test_the_clinic_clock_rebuilds_the_summary(db, patient, provider):
    visit = create_visit(db, patient.id, provider.id, datetime(2026, 1, 5, 23, 30, tzinfo=ZoneInfo("UTC")))
    replace_points(db, visit.id, visit.version, [botox_point()])
    assert {r[5] for r in summary_rows(db)} == {date(2026, 1, 5)}
    changes = set_clinic_timezone(db, "Europe/Berlin")
    assert changes.clinic and changes.recall_rules
    assert {r[5] for r in summary_rows(db)} == {date(2026, 1, 6)}  # 00:30 in Berlin


# One status definition ------------------------------------------------------------------

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    today=days,
    due_from=days,
    length=st.integers(min_value=0, max_value=400),
    lead=st.integers(min_value=0, max_value=60),
)
def test_sql_and_python_statuses_agree(db, patient, today, due_from, length, lead):
    due_by = due_from + timedelta(days=length)
    with db.factory() as session:
        product_id = session.scalar(select(Product.id).where(Product.name == "Botox Cosmetic"))
        item = RecallItem(
            patient_id=patient.id,
            area="glabella",
            side="",
            product_kind="neuromodulator",
            product_id=product_id,
            last_treated=due_from - timedelta(days=90),
            due_from=due_from,
            due_by=due_by,
        )
        session.add(item)
        session.flush()
        sql = session.scalar(select(_due_status(today, lead)).where(RecallItem.id == item.id))
        session.rollback()
    assert DueStatus(sql) is status_on(today, due_from, due_by, lead)


# Across daylight-saving changes, on past and later days -----------------------------------


@pytest.mark.parametrize(
    ("zone", "moment"),
    [
        ("Europe/Berlin", datetime(2026, 3, 29, 0, 30)),  # the night clocks go forward
        ("Europe/Berlin", datetime(2026, 3, 29, 23, 45)),
        ("Europe/Berlin", datetime(2026, 10, 25, 0, 15)),  # the night clocks go back
        ("Europe/Berlin", datetime(2026, 10, 25, 23, 50)),
        ("America/New_York", datetime(2026, 3, 8, 0, 30)),
        ("America/New_York", datetime(2026, 3, 8, 23, 30)),
        ("America/New_York", datetime(2026, 11, 1, 0, 30)),
        ("America/New_York", datetime(2026, 11, 1, 23, 30)),
    ],
)
def test_due_status_in_sql_across_daylight_saving(db, patient, provider, zone, moment):
    set_clinic_timezone(db, zone)
    local = moment.replace(tzinfo=ZoneInfo(zone))
    visit = create_visit(db, patient.id, provider.id, local)
    replace_points(db, visit.id, visit.version, [botox_point()])
    day = moment.date()
    with db.factory() as session:
        product = session.scalar(select(Product).where(Product.name == "Botox Cosmetic"))
        assert product is not None and product.interval_min_days and product.interval_max_days
        low, high = product.interval_min_days, product.interval_max_days
    settings = RecallSettings(review_days=None, lead_days=14, lapsed_after_days=None)
    opens, closes = day + timedelta(days=low), day + timedelta(days=high)
    expected = {
        opens - timedelta(days=15): None,  # not due: not listed
        opens - timedelta(days=14): DueStatus.DUE_SOON,
        opens - timedelta(days=1): DueStatus.DUE_SOON,
        opens: DueStatus.DUE,
        closes: DueStatus.DUE,
        closes + timedelta(days=1): DueStatus.OVERDUE,
    }
    for asked, status in expected.items():
        rows = due_page(db, asked, settings=settings, limit=None).rows
        assert [r.item.status for r in rows] == ([status] if status else []), asked
        for row in rows:
            assert row.item.last_treated == day and row.item.due_from == opens and row.item.due_by == closes
        listed = due_list(db, asked, settings=settings)
        assert [r.item.status for r in listed] == ([status] if status else []), asked
    # The day before the visit: the patient had no treatment yet (recomputed as it stood then).
    assert due_list(db, day - timedelta(days=1), within_days=3650, settings=settings) == []
    start_of_day = datetime.combine(day, time(0), ZoneInfo(zone))
    assert local >= start_of_day


def test_a_past_day_is_classified_as_the_summary_would(db):
    """For a day in the past, patients seen since are recomputed; the rows equal the list
    the summary would give had the later visits never been charted."""
    generate_demo(db, patients=60, seed=9, as_of=TODAY)
    past = TODAY - timedelta(days=120)
    with db.factory() as session:
        assert session.scalar(select(Patient.id).limit(1)) is not None
    listed = due_list(db, past, within_days=45)
    end = datetime.combine(past + timedelta(days=1), time(0), db.timezone)
    with db.factory() as session:  # the charts as they stood then, summarised, rolled back
        from models import integrity
        from models.tables import InjectionPoint, Visit

        later = list(session.scalars(select(Visit).where(Visit.started_at >= end)))
        assert later, "the demo clinic has visits after the day asked about"
        integrity.drop(session.connection())  # signed visits are locked: this only pretends
        for visit in later:
            session.query(InjectionPoint).filter(InjectionPoint.visit_id == visit.id).delete()
            session.delete(visit)
        session.flush()
        refresh_recall(session, db.timezone)
        session.commit()
    assert [(r.chart_number, r.area, r.item) for r in due_list(db, past, within_days=45)] == [
        (r.chart_number, r.area, r.item) for r in listed
    ]


def test_an_interval_change_settles_two_products_given_at_two_visits_on_one_day(db, patient, provider):
    """Botox in the morning, Dysport in the afternoon, same area: the product due again
    soonest wins the area that day, so moving one product's window can change the winner."""
    morning = create_visit(db, patient.id, provider.id, datetime(2026, 1, 5, 9, tzinfo=db.timezone))
    replace_points(db, morning.id, morning.version, [botox_point()])
    afternoon = create_visit(db, patient.id, provider.id, datetime(2026, 1, 5, 16, tzinfo=db.timezone))
    dysport = botox_point(product_name="Dysport", amount="10", lot_number="D77")
    replace_points(db, afternoon.id, afternoon.version, [dysport])
    assert summary_rows(db) == rebuilt_rows(db)
    with db.factory() as session:
        botox = session.scalar(select(Product).where(Product.name == "Botox Cosmetic"))
        dysport_row = session.scalar(select(Product).where(Product.name == "Dysport"))
        assert botox is not None and dysport_row is not None
        low, high = botox.interval_min_days, botox.interval_max_days
        dysport_low = dysport_row.interval_min_days
    for new_low, new_high in ((dysport_low + 30, dysport_low + 60), (dysport_low - 30, dysport_low - 10)):
        update_intervals(db, "Botox Cosmetic", new_low, new_high)
        assert summary_rows(db) == rebuilt_rows(db)
    update_intervals(db, "Botox Cosmetic", low, high)
    assert summary_rows(db) == rebuilt_rows(db)
