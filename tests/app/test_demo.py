"""The synthetic clinic is deterministic, realistic and obeys every charting rule."""

import itertools
import shutil
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.demo import generate_demo
from app.exports.interchange import export_patient, import_document
from app.services.patients import search_patients
from app.services.visits import get_visit, list_visits
from app.storage.database import open_database
from models.errors import ConflictError
from models.regions import REGIONS
from models.tables import InjectionPoint, Lot, Patient, Provider, Visit
from models.totals import totals_by_side
from tests.conftest import ACTOR

AS_OF = date(2026, 11, 1)


@pytest.fixture
def demo_db(db):
    generate_demo(db, patients=60, seed=7, as_of=AS_OF)
    return db


def fresh_database(tmp_path, template, name):
    path = tmp_path / name
    shutil.copyfile(template, path)
    from tests.conftest import sqlite_url

    return open_database(sqlite_url(path), ACTOR)


def test_same_seed_same_clinic(demo_db, tmp_path, migrated_template):
    other = fresh_database(tmp_path, migrated_template, "other.db")
    generate_demo(other, patients=60, seed=7, as_of=AS_OF)
    for chart in ("A-0001", "A-0030", "A-0060"):
        assert export_patient(other, chart) == export_patient(demo_db, chart)
    third = fresh_database(tmp_path, migrated_template, "third.db")
    generate_demo(third, patients=60, seed=8, as_of=AS_OF)
    assert export_patient(third, "A-0001") != export_patient(demo_db, "A-0001")
    other.close()
    third.close()


def test_demo_data_obeys_every_charting_rule(demo_db, tmp_path, migrated_template):
    """Each demo chart, exported, passes the full import validation in an empty database."""
    target = fresh_database(tmp_path, migrated_template, "validated.db")
    charts = [p.chart_number for p in search_patients(demo_db, include_archived=True, limit=1000)]
    assert len(charts) == 60
    for chart in charts:
        result = import_document(target, export_patient(demo_db, chart), chart)
        assert result.visits_added == len(list_visits(demo_db, chart))
    target.close()


def test_demo_clinic_looks_like_a_clinic(demo_db):
    with demo_db.factory() as session:
        assert session.scalar(select(func.count()).select_from(Provider)) >= 3
        per_patient = Counter(session.scalars(select(Visit.patient_id)))
        assert len(per_patient) == 60 and min(per_patient.values()) >= 1 and max(per_patient.values()) <= 12
        assert max(per_patient.values()) >= 6
        first, last = session.execute(select(func.min(Visit.started_at), func.max(Visit.started_at))).one()
        assert (AS_OF - first.date()).days > 2 * 365 and last.date() <= AS_OF + timedelta(days=1)
        expiries = session.scalars(select(Lot.expiry)).all()
        assert any(e < AS_OF for e in expiries) and any(e > AS_OF for e in expiries)
        regions = set(session.scalars(select(InjectionPoint.region_code)))
        assert regions <= set(REGIONS) and {"glabella", "procerus", "corrugator_l"} & regions
        products = set(session.scalars(select(InjectionPoint.product_id)))
        assert len(products) >= 6
        aliquots = session.scalars(select(InjectionPoint.aliquots)).all()
        assert max(aliquots) > 1
        visit_ids = session.scalars(select(Visit.id)).all()
    asymmetric = 0
    for visit_id in visit_ids:
        for side in totals_by_side(get_visit(demo_db, visit_id).points):
            asymmetric += side.left_minus_right != 0
    assert asymmetric > 0, "some patients are treated asymmetrically"


GLABELLAR_LABEL = {
    "Botox Cosmetic": 20,
    "Xeomin": 20,
    "Jeuveau": 20,
    "Letybo": 20,
    "Dysport": 50,
    "Daxxify": 40,
}


def test_label_like_glabellar_doses(demo_db):
    """A charted glabella is the label dose as 5 aliquots: 20 U (4 U toxins), 50 U Dysport, 40 U Daxxify."""
    seen = set()
    for patient in search_patients(demo_db, include_archived=True, limit=1000):
        for visit in list_visits(demo_db, patient.chart_number):
            record = get_visit(demo_db, visit.id)
            points = [
                p for p in record.points if p.region_code in ("procerus", "corrugator_l", "corrugator_r")
            ]
            if record.concern == "two-week review":
                assert len(record.points) <= 1  # a touch-up at most
                continue
            if points:
                [product] = {p.product_name for p in points}  # one brand per treatment
                seen.add(product)
                assert sum(p.amount for p in points) == GLABELLAR_LABEL[product]
                assert sum(p.aliquots for p in points) == 5
    assert len(seen) >= 3


def test_demo_refuses_a_database_with_patients(demo_db):
    with pytest.raises(ConflictError, match="already holds patients"):
        generate_demo(demo_db, patients=5)
    with demo_db.factory() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 60


def test_two_week_reviews_follow_first_treatments(demo_db):
    reviews = 0
    for patient in search_patients(demo_db, include_archived=True, limit=1000):
        visits = list_visits(demo_db, patient.chart_number)
        for earlier, later in itertools.pairwise(visits):
            if get_visit(demo_db, later.id).concern == "two-week review":
                reviews += 1
                assert earlier is visits[0]
                assert 12 <= (later.started_at.date() - earlier.started_at.date()).days <= 16
    assert reviews > 0


def test_clinic_hours_on_the_clinics_clock(db):
    """Visits fall in opening hours in the clinic's zone, summer and winter alike."""
    from app.services.settings import set_clinic_timezone

    set_clinic_timezone(db, "America/New_York")
    generate_demo(db, patients=40, seed=2, as_of=AS_OF)
    with db.factory() as session:
        times = session.scalars(select(Visit.started_at)).all()
    local = [t.astimezone(db.timezone) for t in times]
    assert all(9 <= t.hour <= 17 for t in local)
    assert {t.utcoffset().total_seconds() / 3600 for t in local} == {-4, -5}  # EDT and EST
