from dataclasses import replace
from datetime import date
from decimal import Decimal

from models.chart import ChartDocument, Pen, mirrored
from models.point_fields import point_from_data, point_to_data
from models.totals import describe_packages, packages_implied
from models.vocabulary import Depth, DoseUnit, Technique, View

PEN = Pen(
    "Botox Cosmetic",
    DoseUnit.UNITS,
    Decimal(4),
    1,
    Depth.INTRAMUSCULAR,
    Technique.NEEDLE,
    "30G",
    "C1234",
    date(2027, 1, 1),
)


def test_pen_places_its_product_and_dose():
    point = PEN.point_at(View.FRONT, 0.5, 0.4, "procerus")
    assert (point.product_name, point.amount, point.unit, point.aliquots) == (
        "Botox Cosmetic",
        4,
        DoseUnit.UNITS,
        1,
    )
    assert (point.lot_number, point.gauge, point.depth) == ("C1234", "30G", Depth.INTRAMUSCULAR)


def test_document_announces_every_change_in_order():
    heard = []
    document = ChartDocument([PEN.point_at(View.FRONT, 0.5, 0.4, "procerus")])
    document.subscribe(lambda kind, uids: heard.append((kind, uids)))
    [uid] = document.new_uids(1)
    document.insert({uid: PEN.point_at(View.FRONT, 0.45, 0.36, "corrugator_r")})
    document.replace({uid: PEN.point_at(View.FRONT, 0.44, 0.36, "corrugator_r")})
    removed = document.remove([1])
    assert heard == [("added", [uid]), ("changed", [uid]), ("removed", [1])]
    assert list(removed) == [1] and len(document) == 1
    assert [d.region_code for d in document.drafts()] == ["corrugator_r"]
    document.remove([999])  # nothing to remove: nothing announced
    assert len(heard) == 3


def test_mirror_reflects_about_the_midline_and_pairs_the_region():
    left = PEN.point_at(View.FRONT, 0.745, 0.43, "crows_feet_l")
    right = mirrored(left)
    assert (right.view, right.x, right.y, right.region_code) == (View.FRONT, 0.255, 0.43, "crows_feet_r")
    assert right.amount == left.amount and right.lot_number == left.lot_number
    assert mirrored(PEN.point_at(View.FRONT, 0.5, 0.4, "procerus")) is None  # no other side
    profile = mirrored(PEN.point_at(View.LEFT, 0.3, 0.5, "cheek_l"))
    assert (profile.view, profile.x, profile.region_code) == (View.RIGHT, 0.7, "cheek_r")


def test_vials_and_syringes_implied():
    """Lots of unknown size count at the product's default size."""
    toxin = [replace(PEN, amount=Decimal(44)).point_at(View.FRONT, 0.5, 0.4, "procerus")]
    filler = [
        Pen("Restylane Lyft", DoseUnit.MILLILITRES, Decimal("1.6")).point_at(View.FRONT, 0.3, 0.6, "cheek_l")
    ]
    assert packages_implied(toxin, Decimal(100)) == (Decimal("0.44"), (Decimal(100),))
    assert describe_packages(toxin, Decimal(100)) == "0.44 of a 100 U vial"
    assert describe_packages(filler, Decimal(1)) == "1.6 syringes of 1 mL"
    assert describe_packages(toxin, None) == ""
    assert describe_packages([], Decimal(100)) == ""


def test_recovery_data_keeps_the_lot_s_vial_size():
    point = replace(PEN, lot_package_size=Decimal(50)).point_at(View.FRONT, 0.5, 0.4, "procerus")
    assert point_from_data(point_to_data(point)) == point
    older = point_to_data(point)
    del older["lot_package_size"]  # a recovery file written before lots had a size
    assert point_from_data(older).lot_package_size is None


def test_the_visit_fields_live_in_the_document_and_each_change_is_announced():
    from datetime import UTC, datetime

    import pytest

    from models.chart import VisitFields

    first = VisitFields(1, datetime(2026, 11, 20, 14, 30, 12, tzinfo=UTC))
    document = ChartDocument([PEN.point_at(View.FRONT, 0.5, 0.4, "procerus")], first)
    heard, points_heard = [], []
    document.subscribe_fields(heard.append)
    document.subscribe(lambda kind, uids: points_heard.append(kind))
    assert document.fields == first
    consented = replace(first, consent_recorded=True, concern="frown lines")
    document.set_fields(consented)
    document.set_fields(replace(consented))  # the same fields again: nothing to announce
    assert document.fields == consented and heard == [consented]
    assert points_heard == [] and len(document) == 1  # the points are another matter
    with pytest.raises(AttributeError):
        consented.notes = "x"  # frozen: a change is a new value, set through the document
    with pytest.raises(LookupError):
        ChartDocument().fields  # noqa: B018  a chart made without its visit has none
