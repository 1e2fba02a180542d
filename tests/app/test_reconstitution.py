"""Reconstituted vials: concentration, discard-by from the label, charting refused from a
vial past its time, and the record printing the reconstitution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from app.services.reconstitution import finish_vial, mix_vial, open_vials, use_within_hours
from app.services.stock import receive_stock
from app.services.visits import create_visit, replace_points
from models.errors import ValidationError
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
    assert (vial.vial_size, vial.diluent_ml, vial.per_tenth_ml) == (100, Decimal("2.5"), 4)
    assert vial.discard_by == mixed_at + timedelta(hours=24)
    assert (
        vial.describe()
        == "Botox Cosmetic lot C1234: 100 U in 2.5 mL 0.9% sodium chloride, preservative-free = 4 U per 0.1 mL"
    )
    dilute = mix_vial(db, "Botox Cosmetic", lot, Decimal("50"), Decimal("2"), use_within=4, mixed_at=mixed_at)
    assert dilute.per_tenth_ml == Decimal("2.5") and dilute.discard_by == mixed_at + timedelta(hours=4)
    assert {v.id for v in open_vials(db)} == {vial.id, dilute.id}
    finish_vial(db, dilute.id)
    assert [v.id for v in open_vials(db)] == [vial.id]
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

    mix_vial(db, "Botox Cosmetic", lot, mixed_at=now() - timedelta(minutes=40))
    visit = create_visit(db, patient.id, provider.id, now() - timedelta(minutes=30))
    replace_points(db, visit.id, visit.version, [botox_point()])
    text = " ".join(text_of(visit_record_pdf(db, visit.id)))
    assert "Reconstitution: Botox Cosmetic lot C1234: 100 U in 2.5 mL" in text and "= 4 U per 0.1 mL" in text
    assert "use by" in text
