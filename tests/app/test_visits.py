from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.services.visits import create_visit, get_visit, list_visits, replace_points
from models.errors import ConflictError, NotFoundError, ValidationError
from models.tables import AuditEvent, Lot, Visit
from models.vocabulary import VisitStatus
from tests.conftest import at, botox_point, snapshot

GLABELLA = [
    botox_point("procerus", "4"),
    botox_point("corrugator_l", "8", aliquots=2, x=0.44),
    botox_point("corrugator_r", "8", aliquots=2, x=0.56),
]


@pytest.fixture
def visit(db, patient, provider):
    return create_visit(db, patient.id, provider.id, at(2025, 1, 10), concern="frown lines")


def test_create_visit_requires_a_zone_and_real_people(db, patient, provider):
    with pytest.raises(ValidationError, match="time zone"):
        create_visit(db, patient.id, provider.id, datetime(2025, 1, 10, 10))
    with pytest.raises(NotFoundError):
        create_visit(db, 999, provider.id, at(2025, 1, 10))


def test_replace_points_saves_the_chart(db, visit):
    saved = replace_points(db, visit.id, visit.version, GLABELLA)
    assert saved.version == visit.version + 1
    reread = get_visit(db, visit.id)
    assert [(p.region_code, p.amount, p.aliquots) for p in reread.points] == [
        ("procerus", Decimal(4), 1),
        ("corrugator_l", Decimal(8), 2),
        ("corrugator_r", Decimal(8), 2),
    ]
    assert reread.points[0].lot_number == "C1234" and reread.points[0].lot_expiry == date(2030, 12, 31)
    again = replace_points(db, visit.id, saved.version, GLABELLA[:1])
    assert len(get_visit(db, visit.id).points) == 1 and again.version == saved.version + 1


def test_a_bad_point_leaves_the_stored_chart_whole(db, visit):
    saved = replace_points(db, visit.id, visit.version, GLABELLA)
    before = snapshot(db)
    bad = GLABELLA + [botox_point("crows_feet_l", "0.1", unit="mL")]
    with pytest.raises(ValidationError, match=r"point 4: Botox Cosmetic is dosed in units \(U\), not mL"):
        replace_points(db, visit.id, saved.version, bad)
    assert snapshot(db) == before


def test_unknown_product_and_foreign_lot(db, visit):
    with pytest.raises(ValidationError, match="'Botax' is not a product in the catalogue"):
        replace_points(db, visit.id, visit.version, [botox_point(product_name="Botax")])
    replace_points(
        db,
        visit.id,
        visit.version,
        [botox_point(product_name="Dysport", amount="10", lot_number="D9", lot_expiry=date(2030, 1, 1))],
    )
    with pytest.raises(ValidationError, match="point 1: lot D9 belongs to Dysport, not Botox Cosmetic"):
        replace_points(db, visit.id, visit.version + 1, [botox_point(lot_number="D9")])
    with pytest.raises(ValidationError, match="lot B7 of Botox Cosmetic is new: give its expiry date"):
        replace_points(db, visit.id, visit.version + 1, [botox_point(lot_number="B7", lot_expiry=None)])
    with pytest.raises(ValidationError, match="the lot number is empty"):
        replace_points(db, visit.id, visit.version + 1, [botox_point(lot_number="  ")])
    replace_points(db, visit.id, visit.version + 1, [botox_point()])
    with pytest.raises(ValidationError, match="registered with expiry 2030-12-31, not 2031-01-01"):
        replace_points(db, visit.id, visit.version + 2, [botox_point(lot_expiry=date(2031, 1, 1))])


def test_expired_lot_is_refused(db, visit):
    replace_points(db, visit.id, visit.version, [botox_point()])
    with db.factory.begin() as session:
        session.execute(update(Lot).where(Lot.number == "C1234").values(expiry=date(2025, 1, 1)))
    with pytest.raises(ValidationError, match="expired on 2025-01-01, before this visit on 2025-01-10"):
        replace_points(db, visit.id, visit.version + 1, [botox_point(lot_expiry=None)])


def test_a_stale_version_is_refused(db, visit):
    replace_points(db, visit.id, visit.version, GLABELLA)
    with pytest.raises(ConflictError, match="changed on another workstation"):
        replace_points(db, visit.id, visit.version, GLABELLA[:1])  # the version we opened
    assert len(get_visit(db, visit.id).points) == 3


def test_signed_visits_are_locked(db, visit):
    with db.factory.begin() as session:
        session.get(Visit, visit.id).status = VisitStatus.SIGNED
    with pytest.raises(ConflictError, match="signed and locked"):
        replace_points(db, visit.id, visit.version + 1, GLABELLA)


def test_list_visits_with_totals_per_product(db, patient, provider, visit):
    replace_points(
        db,
        visit.id,
        visit.version,
        GLABELLA
        + [
            botox_point(
                "crows_feet_l",
                "30",
                product_name="Dysport",
                lot_number="D1",
                lot_expiry=date(2030, 1, 1),
                x=0.75,
                y=0.43,
                aliquots=3,
            )
        ],
    )
    later = create_visit(db, patient.id, provider.id, at(2025, 4, 20))
    visits = list_visits(db, "A-0001")
    assert [v.id for v in visits] == [visit.id, later.id]
    totals = {t.product_name: (t.amount, t.unit.value) for t in visits[0].totals}
    assert totals == {"Botox Cosmetic": (Decimal(20), "U"), "Dysport": (Decimal(30), "U")}
    assert visits[1].totals == []
    with pytest.raises(NotFoundError, match="no patient with chart number Z-9"):
        list_visits(db, "Z-9")


def test_the_visit_total_may_not_pass_the_products_ceiling(db, visit):
    """Each site may be plausible while the visit as a whole is not (Botox: 400 U)."""
    sites = [
        botox_point(region, "100", x=0.3 + i / 20)
        for i, region in enumerate(["forehead_l", "forehead_r", "masseter_l", "masseter_r", "chin"])
    ]
    with pytest.raises(
        ValidationError, match="this visit's total of 500 U of Botox Cosmetic is more than 400 U"
    ):
        replace_points(db, visit.id, visit.version, sites)
    replace_points(db, visit.id, visit.version, sites[:4])


def test_opening_a_chart_is_audited(db, visit):
    list_visits(db, " A-0001 ")  # a chart number typed with spaces still opens
    with db.factory() as session:
        actions = [(e.action, e.entity) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert ("create", "visit") in actions and actions[-1] == ("view", "patient")


def test_previous_visit_skips_empty_drafts(db, patient, provider, visit):
    from app.services.visits import previous_visit

    replace_points(db, visit.id, visit.version, GLABELLA)
    create_visit(db, patient.id, provider.id, at(2025, 3, 1))  # opened, nothing charted
    found = previous_visit(db, patient.id, at(2025, 4, 1))
    assert found.id == visit.id and len(found.points) == 3
    assert previous_visit(db, patient.id, at(2025, 1, 1)) is None


def test_a_lot_number_typed_with_a_control_character_is_refused(db, visit):
    pasted = botox_point("procerus", "4", lot_number="C1234\t\x00")
    with pytest.raises(ValidationError, match="lot number holds"):
        replace_points(db, visit.id, visit.version, [pasted])
    assert get_visit(db, visit.id).points == []


def test_a_new_lot_is_registered_with_its_vial_size(db, visit):
    """The lot's size is set when it is registered; the chart reads it back from the lot."""
    saved = replace_points(
        db,
        visit.id,
        visit.version,
        [botox_point("procerus", "40", lot_number="S50", lot_package_size=Decimal(50))],
    )
    with db.factory() as session:
        assert session.scalar(select(Lot.package_size).where(Lot.number == "S50")) == Decimal(50)
    assert get_visit(db, visit.id).points[0].lot_package_size == Decimal(50)
    # a registered lot keeps its size: named again without a size, it is still 50 U
    again = replace_points(
        db, visit.id, saved.version, [botox_point("procerus", "40", lot_number="S50", lot_expiry=None)]
    )
    assert again.points[0].lot_package_size == Decimal(50)
    refused_and_unchanged(
        db,
        visit.id,
        again.version,
        "S50",
        "100",
        "point 1: lot S50 of Botox Cosmetic is registered in 50 U packages, not 100 U",
    )


def test_a_vial_size_the_product_does_not_come_in_is_refused(db, visit):
    refused_and_unchanged(
        db,
        visit.id,
        visit.version,
        "S200",
        "200",
        "point 1: lot S200 of Botox Cosmetic cannot come in 200 U packages:"
        " Botox Cosmetic comes in 50 U or 100 U",
    )


def refused_and_unchanged(db, visit_id, version, lot_number, package_size, message):
    """Charting 40 U from `lot_number` in `package_size` U vials is refused with `message`
    and the database is left as it was."""
    before = snapshot(db)
    with pytest.raises(ValidationError, match=message):
        replace_points(
            db,
            visit_id,
            version,
            [botox_point("procerus", "40", lot_number=lot_number, lot_package_size=Decimal(package_size))],
        )
    assert snapshot(db) == before
