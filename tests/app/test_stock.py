"""Stock: deliveries, what charting used, write-offs, and a scanned box."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from app.services.stock import map_barcode, receive_stock, set_threshold, stock_on_hand, write_off
from app.services.visits import create_visit, replace_points
from models.errors import NotFoundError, ValidationError
from tests.conftest import botox_point

GTIN = "09506000134352"


def on_hand(db, lot="C1234"):
    [found] = [s for s in stock_on_hand(db).lots if s.lot == lot]
    return found


def recently(hours: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours)


def test_stock_after_delivery_charting_write_off_and_a_removed_point(db, patient, provider):
    before = create_visit(db, patient.id, provider.id, recently(5 * 24))  # before the delivery
    replace_points(db, before.id, before.version, [botox_point()])
    delivered = date.today() - timedelta(days=2)
    got = receive_stock(
        db,
        "Botox Cosmetic",
        "C1234",
        date(2030, 12, 31),
        2,
        Decimal("100"),
        "Allergan",
        received_on=delivered,
    )
    assert (got.amount, got.unit) == (Decimal("200"), "U")
    visit = create_visit(db, patient.id, provider.id, recently(1))
    visit = replace_points(
        db, visit.id, visit.version, [botox_point("glabella", "4"), botox_point("corrugator_l", "8")]
    )
    assert (on_hand(db).received, on_hand(db).charted, on_hand(db).on_hand) == (200, 12, 188)
    write_off(db, "Botox Cosmetic", "C1234", Decimal("50"), "wasted", "vial past its use-within time")
    assert on_hand(db).on_hand == 138 and on_hand(db).written_off == 50
    replace_points(db, visit.id, visit.version, [botox_point("glabella", "4")])  # a point undone
    assert on_hand(db).on_hand == 146
    assert on_hand(db).packages_on_hand == Decimal("1.46")


def test_an_imported_visit_takes_nothing_from_stock(db):
    import copy

    from app.exports.interchange import import_document
    from tests.app.test_interchange import SPEC_EXAMPLE

    receive_stock(
        db, "Botox Cosmetic", "IMP1", date(2040, 1, 31), 1, Decimal("100"), received_on=date(2026, 1, 1)
    )
    document = copy.deepcopy(SPEC_EXAMPLE)
    visit = document["visits"][0]
    visit["started_at"] = recently(1).isoformat()
    for point in visit["points"]:
        if point["product"] == "Botox Cosmetic":
            point["lot"] = {"number": "IMP1", "expiry": "2040-01-31"}
    import_document(db, document)
    assert on_hand(db, "IMP1").charted == 0 and on_hand(db, "IMP1").on_hand == 100


def test_a_scanned_box_gives_product_lot_and_expiry_once_its_gtin_is_mapped(db):
    scan = f"]d201{GTIN}17301231" + "10NB88"
    with pytest.raises(
        NotFoundError, match=f"GTIN {GTIN} is not mapped to a product yet .*lot NB88, expiry 2030-12-31"
    ):
        receive_stock(db, None, None, None, 3, gs1=scan)
    map_barcode(db, GTIN, "Botox Cosmetic")
    got = receive_stock(db, None, None, None, 3, Decimal("100"), gs1=scan)
    assert (got.product, got.lot, got.expiry, got.amount) == (
        "Botox Cosmetic",
        "NB88",
        date(2030, 12, 31),
        300,
    )
    with pytest.raises(ValidationError, match="expired on 2020-01-31"):
        receive_stock(db, None, None, None, 1, gs1=f"01{GTIN}17200100" + "10OLD1")
    with pytest.raises(ValidationError, match="the scanned box is Botox Cosmetic, not Dysport"):
        receive_stock(db, "Dysport", None, None, 1, gs1=scan)


def test_warnings_for_a_lot_near_expiry_and_a_product_running_low(db):
    soon = date.today() + timedelta(days=10)
    receive_stock(db, "Botox Cosmetic", "S1", soon, 1, Decimal("100"))
    set_threshold(db, "Botox Cosmetic", Decimal("150"))
    warnings = stock_on_hand(db).warnings
    assert any(w.startswith("Botox Cosmetic lot S1 expires on") and "in 10 days" in w for w in warnings)
    assert any(w.startswith("Botox Cosmetic is low: 100 U on hand") for w in warnings)
    with pytest.raises(ValidationError, match="at least one"):
        receive_stock(db, "Botox Cosmetic", "S1", soon, 0)


def test_the_command_line_receives_a_scanned_box_and_lists_stock(db_path, db):
    import json

    from tests.app.test_cli import aliquot, assert_one_line_refusal

    db.close()
    scan = f"]d201{GTIN}17301231" + "10NB88"
    refused = aliquot("stock", "receive", "--gs1", scan, "--quantity", 2, db=db_path, check=False)
    assert_one_line_refusal(refused, f"GTIN {GTIN} is not mapped to a product yet")
    aliquot("stock", "map", GTIN, "Botox Cosmetic", db=db_path)
    got = aliquot("stock", "receive", "--gs1", scan, "--quantity", 2, "--package", "100", db=db_path).stdout
    assert "received 2 × Botox Cosmetic lot NB88 (expiry 2030-12-31): 200 U" in got
    listed = json.loads(aliquot("stock", "--json", db=db_path).stdout)
    assert [(s["product"], s["lot"], s["on_hand"]) for s in listed["lots"]] == [
        ("Botox Cosmetic", "NB88", "200")
    ]
