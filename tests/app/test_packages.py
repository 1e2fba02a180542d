"""Reconstituted vials: concentration, discard-by from the label, charting refused from a
vial past its time, and the record printing the reconstitution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.services.packages import finish_package, mix_vial, open_packages, open_syringe, use_within_hours
from app.services.stock import receive_stock
from app.services.visits import create_visit, replace_points
from models.errors import ValidationError
from models.records import PointDraft
from tests.conftest import botox_point


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def lot(db):
    receive_stock(db, "Botox Cosmetic", "C1234", datetime(2030, 12, 31).date(), 2, Decimal("100"))
    return "C1234"


def test_the_label_s_use_within_time_is_read_from_the_catalogue():
    assert use_within_hours("100 U in 2.5 mL = 4 U per 0.1 mL; use within 24 h refrigerated") == 24
    assert use_within_hours("100 U in 1.2 mL = about 8.3 U per 0.1 mL (verify label)") is None


def test_a_mixed_vial_gives_its_concentration_and_discard_by(db, lot):
    mixed_at = now() - timedelta(hours=1)
    vial = mix_vial(db, "Botox Cosmetic", lot, mixed_at=mixed_at)
    assert (vial.size, vial.diluent_ml, vial.per_tenth_ml) == (100, Decimal("2.5"), 4)
    assert vial.discard_by == mixed_at + timedelta(hours=24)
    assert (
        vial.describe()
        == "Botox Cosmetic lot C1234: 100 U in 2.5 mL 0.9% sodium chloride, preservative-free = 4 U per 0.1 mL"
    )
    dilute = mix_vial(db, "Botox Cosmetic", lot, Decimal("50"), Decimal("2"), use_within=4, mixed_at=mixed_at)
    assert dilute.per_tenth_ml == Decimal("2.5") and dilute.discard_by == mixed_at + timedelta(hours=4)
    assert {v.id for v in open_packages(db)} == {vial.id, dilute.id}
    finish_package(db, dilute.id)
    assert [v.id for v in open_packages(db)] == [vial.id]
    with pytest.raises(ValidationError, match="only toxins are mixed"):
        mix_vial(db, "Juvéderm Voluma XC", "X1")


def test_charting_from_a_vial_past_its_discard_time_is_refused(db, patient, provider, lot):
    from tests.conftest import snapshot

    mix_vial(db, "Botox Cosmetic", lot, mixed_at=now() - timedelta(hours=30))  # discard by 6 h ago
    visit = create_visit(db, patient.id, provider.id, now() - timedelta(minutes=30))
    before = snapshot(db)
    with pytest.raises(
        ValidationError, match=r"lot C1234 of Botox Cosmetic: its vial mixed at .* was to be used by"
    ):
        replace_points(db, visit.id, visit.version, [botox_point()])
    assert snapshot(db) == before
    mix_vial(db, "Botox Cosmetic", lot, mixed_at=now() - timedelta(minutes=40))
    saved = replace_points(db, visit.id, visit.version, [botox_point()])
    assert [p.lot_number for p in saved.points] == ["C1234"]


def test_the_record_prints_the_reconstitution_the_visit_was_charted_from(db, patient, provider, lot):
    from app.exports.records import visit_record_pdf
    from tests.app.test_records import text_of

    vial = mix_vial(db, "Botox Cosmetic", lot, mixed_at=now() - timedelta(minutes=40))
    visit = create_visit(db, patient.id, provider.id, now() - timedelta(minutes=30))
    replace_points(db, visit.id, visit.version, [botox_point(amount="4"), botox_point("corrugator_l", "8")])
    text = " ".join(text_of(visit_record_pdf(db, visit.id)))
    assert f"Reconstitution (vial {vial.id}): Botox Cosmetic lot C1234: 100 U in 2.5 mL" in text
    assert "= 4 U per 0.1 mL" in text and "use by" in text and "12 U drawn at this visit" in text


def on_hand(db, lot):
    from app.services.stock import stock_on_hand

    [found] = [s for s in stock_on_hand(db).lots if s.lot == lot]
    return found


def package_ids(db, visit_id):
    from sqlalchemy import select

    from models.tables import InjectionPoint

    with db.factory() as session:
        return session.scalars(
            select(InjectionPoint.package_id)
            .where(InjectionPoint.visit_id == visit_id)
            .order_by(InjectionPoint.position)
        ).all()


def filler_point(amount: str, lot: str = "V1", region: str = "cheek_l") -> PointDraft:
    return botox_point(
        region,
        amount,
        product_name="Juvéderm Voluma XC",
        unit="mL",
        lot_number=lot,
        depth="supraperiosteal",
    )


def test_each_point_is_drawn_from_the_oldest_open_vial_with_enough_left(db, patient, provider, lot):
    from tests.conftest import snapshot

    first = mix_vial(
        db, "Botox Cosmetic", lot, Decimal("50"), Decimal("1.25"), mixed_at=now() - timedelta(hours=3)
    )
    second = mix_vial(
        db, "Botox Cosmetic", lot, Decimal("50"), Decimal("1.25"), mixed_at=now() - timedelta(minutes=50)
    )
    visit = create_visit(db, patient.id, provider.id, now() - timedelta(minutes=30))
    saved = replace_points(
        db,
        visit.id,
        visit.version,
        [botox_point("glabella", "20"), botox_point("forehead", "24"), botox_point("corrugator_l", "10")],
    )
    # 20 + 24 fill the older 50 U vial to 44 U; the 10 U no longer fits in it, so the next vial gives it.
    assert package_ids(db, visit.id) == [first.id, first.id, second.id]
    assert [p.left for p in open_packages(db)] == [40, 6]  # latest opened first

    before = snapshot(db)
    with pytest.raises(
        ValidationError,
        match=rf"point 4: 45 U of Botox Cosmetic lot C1234 is more than is left in its open vial"
        rf" \(vial {first.id}: 6 U left of 50 U; vial {second.id}: 40 U left of 50 U\);"
        r" record the next vial mixed \(Safety ▸ Stock ▸ Open vials and syringes, or aliquot vials mix\),"
        r" or correct the dose \(a dose taken from two vials is charted as two points\)",
    ):
        replace_points(
            db,
            visit.id,
            saved.version,
            [
                botox_point("glabella", "20"),
                botox_point("forehead", "24"),
                botox_point("corrugator_l", "10"),
                botox_point("masseter_l", "45"),
            ],
        )
    assert snapshot(db) == before

    # A point undone gives its units back to the vial it came from.
    replace_points(db, visit.id, saved.version, [botox_point("glabella", "20")])
    assert package_ids(db, visit.id) == [first.id]
    assert sorted(p.left for p in open_packages(db)) == [30, 50]


def test_a_finished_vial_s_rest_is_wasted_and_one_past_its_time_too(db, patient, provider, lot):
    vial = mix_vial(db, "Botox Cosmetic", lot, mixed_at=now() - timedelta(minutes=50))
    visit = create_visit(db, patient.id, provider.id, now() - timedelta(minutes=30))
    replace_points(
        db, visit.id, visit.version, [botox_point("glabella", "20"), botox_point("forehead", "10")]
    )
    stock = on_hand(db, lot)
    assert (stock.charted, stock.left_in_open, stock.open_packages, stock.wasted, stock.on_hand) == (
        30,
        70,
        1,
        0,
        170,
    )

    finished = finish_package(db, vial.id, wasted=True)
    assert (finished.left, finished.finish.value) == (70, "wasted")
    stock = on_hand(db, lot)
    assert (stock.charted, stock.left_in_open, stock.wasted, stock.on_hand) == (30, 0, 70, 100)
    with pytest.raises(ValidationError, match=rf"vial {vial.id} was already finished at"):
        finish_package(db, vial.id)
    with pytest.raises(ValidationError, match="its vial mixed at .* was finished at"):
        later = create_visit(db, patient.id, provider.id, now() + timedelta(minutes=1))
        replace_points(db, later.id, later.version, [botox_point()])

    # Never finished, but past its use-within time: its 100 U are no longer stock.
    mix_vial(db, "Botox Cosmetic", lot, mixed_at=now() - timedelta(hours=30))
    stock = on_hand(db, lot)
    assert (stock.open_packages, stock.wasted, stock.on_hand) == (0, 170, 0)


@pytest.fixture
def voluma(db):
    received = now().date() - timedelta(days=5)
    receive_stock(
        db, "Juvéderm Voluma XC", "V1", datetime(2030, 12, 31).date(), 2, Decimal("1"), received_on=received
    )
    return "V1"


def test_a_part_used_syringe_stays_open_across_visits_until_it_is_finished(db, patient, provider, voluma):
    from tests.conftest import snapshot

    syringe = open_syringe(db, "Juvéderm Voluma XC", voluma, opened_at=now() - timedelta(days=3))
    assert (
        syringe.describe() == "Juvéderm Voluma XC lot V1: 1 mL syringe"
        and syringe.name == f"syringe {syringe.id}"
    )
    first = create_visit(db, patient.id, provider.id, now() - timedelta(days=3) + timedelta(minutes=5))
    replace_points(db, first.id, first.version, [filler_point("0.3"), filler_point("0.3", region="cheek_r")])
    second = create_visit(db, patient.id, provider.id, now() - timedelta(minutes=10))
    before = snapshot(db)
    with pytest.raises(
        ValidationError,
        match=rf"0.5 mL .* \(syringe {syringe.id}: 0.4 mL left of 1 mL\);"
        r" record the next syringe opened \(Safety ▸ Stock ▸ Open vials and syringes, or aliquot syringes open\)",
    ):
        replace_points(db, second.id, second.version, [filler_point("0.5")])
    assert snapshot(db) == before
    replace_points(db, second.id, second.version, [filler_point("0.25")])
    assert package_ids(db, second.id) == [syringe.id]
    [still_open] = open_packages(db)
    assert still_open.left == Decimal("0.15")
    assert on_hand(db, voluma).on_hand == Decimal("1.15")  # 2 mL in, 0.85 mL charted

    finish_package(db, syringe.id, wasted=True)
    stock = on_hand(db, voluma)
    assert (stock.charted, stock.wasted, stock.on_hand, stock.open_packages) == (
        Decimal("0.85"),
        Decimal("0.15"),
        Decimal("1"),
        0,
    )
    with pytest.raises(ValidationError, match="Botox Cosmetic comes in vials, not syringes"):
        open_syringe(db, "Botox Cosmetic", "C1234")


def test_the_command_line_opens_lists_and_finishes_vials_and_syringes(db_path, db, voluma, lot):
    import json

    from tests.app.test_cli import aliquot, assert_one_line_refusal

    db.close()
    mixed = aliquot("vials", "mix", "Botox Cosmetic", "--lot", lot, "--diluent", "2,5", db=db_path).stdout
    assert "vial 1: Botox Cosmetic lot C1234: 100 U in 2.5 mL" in mixed and "100 U left" in mixed
    opened = aliquot(
        "syringes", "open", "Juvéderm Voluma XC", "--lot", voluma, "--size", "1,0", db=db_path
    ).stdout
    assert (
        opened.startswith("syringe 2: Juvéderm Voluma XC lot V1: 1 mL syringe; opened ")
        and "1 mL left" in opened
    )
    listed = json.loads(aliquot("syringes", "--json", db=db_path).stdout)
    assert [(s["id"], s["left"], s["unit"]) for s in listed] == [(2, "1", "mL")]
    assert [v["per_0.1_mL"] for v in json.loads(aliquot("vials", "--json", db=db_path).stdout)] == ["4"]
    done = aliquot("syringes", "finish", "2", "--wasted", db=db_path).stdout
    assert "; wasted " in done and "1 mL wasted" in done
    assert aliquot("syringes", db=db_path).stdout.strip() == "no syringe open"
    refused = aliquot(
        "vials", "mix", "Botox Cosmetic", "--lot", lot, "--diluent", "2.5.0", db=db_path, check=False
    )
    assert_one_line_refusal(refused, "more than one decimal mark")
    stock = json.loads(aliquot("stock", "--json", db=db_path).stdout)
    assert [(s["lot"], s["on_hand"], s["left_in_open"], s["open_packages"]) for s in stock["lots"]] == [
        ("C1234", "200", "100", 1),
        ("V1", "1", "0", 0),
    ]


def test_the_editor_s_words_name_the_vial_a_dose_is_drawn_from_and_its_concentration(
    db, patient, provider, lot
):
    """Two vials of one lot mixed at different strengths: the volume is said for the vial a
    save will draw the dose from, never for another one (4 U is 0.1 mL in one, 0.04 mL in
    the other)."""
    from app.services.packages import dose_words, packages_in_use

    old = mix_vial(db, "Botox Cosmetic", lot, mixed_at=now() - timedelta(hours=3))  # 4 U per 0.1 mL
    visit = create_visit(db, patient.id, provider.id, now() - timedelta(hours=2))
    replace_points(
        db, visit.id, visit.version, [botox_point("forehead", "49"), botox_point("masseter_l", "49")]
    )
    strong = mix_vial(
        db, "Botox Cosmetic", lot, Decimal("100"), Decimal("1"), mixed_at=now() - timedelta(minutes=5)
    )
    [packages] = packages_in_use(db, now()).values()
    assert [p.id for p in packages] == [old.id, strong.id]
    assert dose_words(packages, Decimal("2")) == [
        f"2 U = 0.05 mL = 5 units on a U-100 insulin syringe, from vial {old.id} (4 U per 0.1 mL)",
        f"From vial {old.id}: 2 U left of 100 U (as last saved)",
        f"⚠ The open vials of this lot differ in concentration (10 U per 0.1 mL, 4 U per 0.1 mL):"
        f" draw this dose from vial {old.id}",
    ]
    assert dose_words(packages, Decimal("4"))[0] == (
        f"4 U = 0.04 mL = 4 units on a U-100 insulin syringe, from vial {strong.id} (10 U per 0.1 mL)"
    )
    assert dose_words(packages, Decimal("150"))[0].startswith("No open vial of this lot has 150 U left")


def test_an_amendment_counts_in_its_visit_s_stead_and_keeps_its_vial(db, patient, provider, lot):
    from app.exports.records import visit_record_pdf
    from app.services.signing import sign_visit, start_amendment
    from app.services.users import add_user, sign_in
    from models.vocabulary import Role
    from tests.app.test_records import text_of

    vial = mix_vial(db, "Botox Cosmetic", lot, mixed_at=now() - timedelta(minutes=50))
    visit = create_visit(db, patient.id, provider.id, now() - timedelta(minutes=30), consent_recorded=True)
    replace_points(
        db, visit.id, visit.version, [botox_point("procerus", "4"), botox_point("corrugator_l", "8")]
    )
    add_user(db, "admin", Role.ADMIN, "admin password 1")
    sign_in(db, "admin", "admin password 1")
    add_user(db, "dana", Role.INJECTOR, "dana password 1", provider_id=provider.id)
    sign_in(db, "dana", "dana password 1")
    sign_visit(db, visit.id)
    finish_package(db, vial.id)
    amendment = start_amendment(db, visit.id, "the glabella dose was 12 U, the lot is right")
    assert package_ids(db, amendment.id) == [vial.id, vial.id]
    stock = on_hand(db, lot)
    assert (stock.charted, stock.wasted, stock.on_hand) == (12, 88, 100), "12 U counted once"
    text = " ".join(text_of(visit_record_pdf(db, amendment.id)))
    assert f"Reconstitution (vial {vial.id})" in text and "12 U drawn at this visit" in text


def test_a_vial_whose_label_time_the_catalogue_lacks_is_mixed_only_with_the_clinic_s_hours(db):
    receive_stock(db, "Dysport", "D300", datetime(2030, 12, 31).date(), 1, Decimal("300"))
    with pytest.raises(
        ValidationError, match="the catalogue gives no use-within time for Dysport once mixed"
    ):
        mix_vial(db, "Dysport", "D300", Decimal("300"), Decimal("2.5"))
    with pytest.raises(ValidationError, match="more than 0 hours"):
        mix_vial(db, "Dysport", "D300", Decimal("300"), Decimal("2.5"), use_within=0)
    mixed_at = now() - timedelta(hours=1)
    vial = mix_vial(db, "Dysport", "D300", Decimal("300"), Decimal("2.5"), mixed_at=mixed_at, use_within=24)
    assert vial.discard_by == mixed_at + timedelta(hours=24)
