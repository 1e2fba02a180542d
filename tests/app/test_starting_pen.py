"""A new visit's pen starts on the toxin the patient last had, and on a lot of it that is
in date: a Daxxify patient's templates chart Daxxify, not Botox Cosmetic."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.services.lots import LotRecord, starting_lot
from app.services.patients import create_patient
from app.services.visits import StartingPen, create_visit, replace_points, start_visit
from models.chart import Pen
from models.records import PatientDraft
from models.tables import Lot, Product
from models.templates import bundled_templates
from models.vocabulary import DoseUnit
from tests.conftest import at, botox_point

FAR = date.today() + timedelta(days=3 * 365)  # in date whenever the tests run


def toxin(product: str, lot: str, expiry: date, amount: str = "4", region: str = "procerus"):
    return botox_point(region, amount, product_name=product, lot_number=lot, lot_expiry=expiry)


def filler(lot: str = "V-1"):
    return botox_point(
        "cheek_l",
        "0.5",
        x=0.3,
        y=0.55,
        product_name="Juvéderm Voluma XC",
        unit="mL",
        lot_number=lot,
        lot_expiry=FAR,
        depth="supraperiosteal",
    )


def chart(db, patient, provider, when, *drafts):
    visit = create_visit(db, patient.id, provider.id, when)
    return replace_points(db, visit.id, visit.version, list(drafts))


def register_lot(db, product_name: str, number: str, expiry: date, received: date | None = None):
    with db.factory.begin() as session:
        product = session.scalar(select(Product).where(Product.name == product_name))
        session.add(Lot(product=product, number=number, expiry=expiry, received=received))


def test_a_daxxify_patient_starts_on_daxxify_and_the_lot_last_given(db, patient, provider):
    chart(db, patient, provider, at(2025, 3, 1), toxin("Botox Cosmetic", "B-1", FAR))
    chart(db, patient, provider, at(2025, 9, 1), toxin("Daxxify", "DX-1", FAR, "8"))
    register_lot(db, "Daxxify", "DX-2", FAR + timedelta(days=200), date.today())  # newer, still not chosen

    opened = start_visit(db, patient.id)

    assert opened.starting_pen == StartingPen("Daxxify", "DX-1")


def test_an_expired_last_lot_gives_way_to_the_newest_lot_in_date(db, patient, provider):
    chart(db, patient, provider, at(2025, 6, 1), toxin("Jeuveau", "J-OLD", date(2025, 12, 31)))
    register_lot(db, "Jeuveau", "J-SOON", date.today() + timedelta(days=30), date(2026, 1, 5))
    register_lot(db, "Jeuveau", "J-NEW", date.today() + timedelta(days=700), date(2026, 6, 1))

    assert start_visit(db, patient.id).starting_pen == StartingPen("Jeuveau", "J-NEW")


def test_without_any_lot_in_date_the_product_still_starts(db, patient, provider):
    chart(db, patient, provider, at(2025, 6, 1), toxin("Dysport", "D-OLD", date(2025, 12, 31), "10"))

    assert start_visit(db, patient.id).starting_pen == StartingPen("Dysport", None)


def test_the_last_toxin_counts_not_the_last_product(db, patient, provider):
    chart(db, patient, provider, at(2025, 3, 1), toxin("Jeuveau", "J-1", FAR))
    chart(db, patient, provider, at(2025, 9, 1), filler())

    assert start_visit(db, patient.id).starting_pen == StartingPen("Jeuveau", "J-1")


def test_the_last_lot_of_the_product_even_if_the_last_point_had_none(db, patient, provider):
    chart(db, patient, provider, at(2025, 3, 1), toxin("Daxxify", "DX-1", FAR, "8"))
    chart(
        db,
        patient,
        provider,
        at(2025, 9, 1),
        botox_point("procerus", "8", product_name="Daxxify", lot_number=None, lot_expiry=None),
    )

    assert start_visit(db, patient.id).starting_pen == StartingPen("Daxxify", "DX-1")


def test_a_patient_who_never_had_a_toxin_keeps_the_usual_start(db, patient, provider):
    assert start_visit(db, patient.id).starting_pen is None
    other = create_patient(db, PatientDraft("A-0002", "Mei", "Chen"))
    chart(db, other, provider, at(2025, 9, 1), filler())
    assert start_visit(db, other.id).starting_pen is None


def test_copy_previous_starts_on_the_same_toxin(db, patient, provider):
    chart(db, patient, provider, at(2025, 9, 1), toxin("Daxxify", "DX-1", FAR, "8"))
    opened = start_visit(db, patient.id, copy_previous=True)
    assert opened.starting_pen == StartingPen("Daxxify", "DX-1")
    assert [p.product_name for p in opened.copied_points] == ["Daxxify"]


def test_starting_lot_prefers_the_last_lot_then_the_latest_expiry():
    soon = LotRecord("A", date(2027, 1, 31), date(2026, 1, 1))
    late = LotRecord("B", date(2028, 1, 31), None)
    unknown = LotRecord("C", None, date(2026, 11, 1))
    assert starting_lot([soon, late, unknown], "A") == soon
    assert starting_lot([soon, late, unknown], "gone") == late
    assert starting_lot([soon, late, unknown], None) == late
    assert starting_lot([], "A") is None


def test_the_glabella_template_doses_the_pens_product():
    glabella = next(t for t in bundled_templates() if t.key == "glabella")
    for product, dose in (("Daxxify", 8), ("Dysport", 10), ("Botox Cosmetic", 4)):
        points = glabella.points_for(Pen(product, DoseUnit.UNITS, Decimal(1)))
        assert [(p.product_name, p.amount) for p in points] == [(product, Decimal(dose))] * 5
