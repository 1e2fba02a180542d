"""Every charting rule, with the message a clinician reads."""

from datetime import UTC, date
from decimal import Decimal

import pytest

from models.errors import ValidationError
from models.records import PatientDraft
from models.validation import (
    LotRule,
    ProductRule,
    check_aliquots,
    check_amount,
    check_depth,
    check_gauge,
    check_lot,
    check_patient,
    check_position,
    check_technique,
    check_unit,
)
from models.vocabulary import DoseUnit, View

BOTOX = ProductRule("Botox Cosmetic", DoseUnit.UNITS, Decimal(400))
VOLUMA = ProductRule("Juvéderm Voluma XC", DoseUnit.MILLILITRES, Decimal(10))


def test_units_belong_to_the_product():
    check_unit("U", BOTOX)
    check_unit("mL", VOLUMA)
    with pytest.raises(ValidationError, match=r"^Botox Cosmetic is dosed in units \(U\), not mL$") as error:
        check_unit("mL", BOTOX)
    assert error.value.field == "unit"
    with pytest.raises(ValidationError, match=r"dosed in millilitres \(mL\), not U"):
        check_unit("U", VOLUMA)


@pytest.mark.parametrize("amount", ["0", "-4"])
def test_amount_must_be_positive(amount):
    with pytest.raises(ValidationError, match="must be more than 0 U") as error:
        check_amount(Decimal(amount), BOTOX)
    assert error.value.field == "amount"


def test_absurd_amount_is_refused_as_a_typing_error():
    check_amount(Decimal(400), BOTOX)
    with pytest.raises(ValidationError, match="400 U.*typing error"):
        check_amount(Decimal(4000), BOTOX)
    with pytest.raises(ValidationError, match="more than 10 mL"):
        check_amount(Decimal("15"), VOLUMA)


def test_amount_precision_is_refused_not_rounded():
    check_amount(Decimal("0.125"), VOLUMA)
    with pytest.raises(ValidationError, match="more than 3 decimal places"):
        check_amount(Decimal("0.1255"), VOLUMA)


def test_aliquots_at_least_one_whole_number():
    assert check_aliquots(5) == 5
    for bad in (0, -1):
        with pytest.raises(ValidationError, match="at least 1 aliquot"):
            check_aliquots(bad)
    for bad in (1.5, "2", True):
        with pytest.raises(ValidationError, match="whole number"):
            check_aliquots(bad)


def test_lot_expired_on_the_visit_date():
    lot = LotRule("C1234", "Botox Cosmetic", date(2025, 1, 9))
    check_lot(lot, BOTOX, date(2025, 1, 9))  # usable through its expiry day
    with pytest.raises(
        ValidationError,
        match="lot C1234 of Botox Cosmetic expired on 2025-01-09, before this visit on 2025-01-10",
    ) as error:
        check_lot(lot, BOTOX, date(2025, 1, 10))
    assert error.value.field == "lot"


def test_lot_of_another_product():
    lot = LotRule("D555", "Dysport", date(2030, 1, 1))
    with pytest.raises(ValidationError, match="lot D555 belongs to Dysport, not Botox Cosmetic"):
        check_lot(lot, BOTOX, date(2025, 1, 10))


@pytest.mark.parametrize("x, y", [(-0.01, 0.5), (1.01, 0.5), (0.5, -1), (0.5, 2)])
def test_point_outside_the_drawing(x, y):
    with pytest.raises(ValidationError, match="outside the drawing"):
        check_position("front", x, y, "glabella")


def test_point_edges_are_inside():
    assert check_position("front", 0, 1, "glabella") is View.FRONT


def test_unknown_view_and_region():
    with pytest.raises(ValidationError, match="unknown view 'top'"):
        check_position("top", 0.5, 0.5, "glabella")
    with pytest.raises(ValidationError, match="unknown face region 'elbow'") as error:
        check_position("front", 0.5, 0.5, "elbow")
    assert error.value.field == "region"


def test_profile_view_shows_only_its_own_side():
    assert check_position("left", 0.5, 0.5, "crows_feet_l") is View.LEFT
    assert check_position("left", 0.5, 0.5, "nose_tip") is View.LEFT
    with pytest.raises(
        ValidationError, match="Crow's feet \\(lateral canthal\\), right cannot be seen on the left view"
    ):
        check_position("left", 0.5, 0.5, "crows_feet_r")


def test_depth_technique_gauge():
    assert check_depth("intramuscular").value == "intramuscular"
    assert check_depth("") is None
    assert check_technique("cannula").value == "cannula"
    assert check_gauge("27g") == "27G"
    assert check_gauge("") == ""
    with pytest.raises(ValidationError, match="unknown depth 'deep'"):
        check_depth("deep")
    with pytest.raises(ValidationError, match="unknown technique 'laser'"):
        check_technique("laser")
    for bad in ("30", "G30", "99G", "thin"):
        with pytest.raises(ValidationError, match="gauge"):
            check_gauge(bad)


def test_patient_demographics():
    today = date(2026, 11, 21)
    check_patient(PatientDraft("A-0001", "Zoë", "Ångström-Núñez", date(1985, 3, 14)), today)
    cases = [
        (PatientDraft("", "Zoë", "X"), "chart_number"),
        (PatientDraft("A 1", "Zoë", "X"), "chart_number"),
        (PatientDraft("A-1", " ", "X"), "given_name"),
        (PatientDraft("A-1", "Zoë", ""), "family_name"),
        (PatientDraft("A-1", "Zoë", "X", date(2027, 1, 1)), "date_of_birth"),
        (PatientDraft("A-1", "Zoë", "X", email="not-an-address"), "email"),
    ]
    for draft, field in cases:
        with pytest.raises(ValidationError) as error:
            check_patient(draft, today)
        assert error.value.field == field


# Issue 10: what an import or a form may store is a faithful record.


def test_aliquots_have_the_ceiling_the_window_allows():
    from models.validation import MAX_ALIQUOTS

    assert check_aliquots(MAX_ALIQUOTS) == MAX_ALIQUOTS
    for bad in (MAX_ALIQUOTS + 1, 2**62, 2**64):
        with pytest.raises(ValidationError, match=f"at most {MAX_ALIQUOTS} aliquots") as error:
            check_aliquots(bad)
        assert error.value.field == "aliquots"


@pytest.mark.parametrize(
    "text, problem",
    [
        ("Zo\x00ë", r"a control character \(U\+0000, character 3\)"),
        ("Zoë\tMaria", r"a tab \(U\+0009"),
        ("Zoë\nMaria", r"a line break \(U\+000A"),
        ("Zoë\u2028Maria", r"a line break \(U\+2028"),
        ("\u202eZoë", r"an invisible formatting character \(U\+202E"),
        ("Zo\u200bë", r"an invisible formatting character \(U\+200B"),
        ("Zo\ud800ë", r"a broken character \(U\+D800"),
        ("\x1b[31mZoë", r"a control character \(U\+001B"),
    ],
)
def test_one_line_text_holds_only_visible_characters(text, problem):
    from models.validation import check_text

    with pytest.raises(ValidationError, match=f"^the given name holds {problem}") as error:
        check_text(text, "given_name", "given name")
    assert error.value.field == "given_name"


def test_free_text_keeps_lines_and_tabs_and_joiners():
    from models.validation import check_text

    check_text("lidocaine\r\n\tlatex\u2028", "allergies", "allergies", single_line=False)
    check_text("مهر\u200cناز 👩\u200d⚕️", "given_name", "given name")
    check_text(None, "phone", "phone number")
    for bad in ("a\x00b", "a\x07b", "a\ud800b", "a\x85b"):
        with pytest.raises(ValidationError, match="control character|broken character"):
            check_text(bad, "allergies", "allergies", single_line=False)


def test_identifiers_are_the_same_whatever_their_letter_case():
    from models.validation import identity_key

    assert identity_key("A-0001") == identity_key("a-0001") == "a-0001"
    assert identity_key("STRASSE-1") == identity_key("straße-1")
    assert identity_key("ÉTÉ-1") == identity_key("e\u0301te\u0301-1")
    assert identity_key("A-0001") != identity_key("A-0002")


@pytest.mark.parametrize("chart_number", ["A-0001", "2024.17", "x_1", "Z", "a" * 32, "A..B"])
def test_chart_numbers_are_names_not_paths(chart_number):
    from models.validation import check_chart_number

    check_chart_number(chart_number)


@pytest.mark.parametrize(
    "chart_number",
    ["A/../../etc/x", "A/1", "A\\1", "..", ".A", "A.", "A-", "A 1", "a" * 33, "Zoë-1", "A-0001\n", ""],
)
def test_a_chart_number_that_could_be_a_path_is_refused(chart_number):
    from models.validation import check_chart_number

    with pytest.raises(ValidationError, match="may only hold letters, digits") as error:
        check_chart_number(chart_number)
    assert error.value.field == "chart_number"


def test_a_stored_chart_number_is_not_held_to_the_newer_rule():
    today = date(2026, 11, 21)
    draft = PatientDraft("2024/17", "Zoë", "Ångström-Núñez")
    check_patient(draft, today, stored_chart_number="2024/17")
    with pytest.raises(ValidationError, match="may only hold"):
        check_patient(draft, today)


def test_a_visit_at_most_a_day_ahead():
    from datetime import datetime, timedelta

    from models.validation import check_visit_time

    now = datetime(2026, 11, 21, 12, tzinfo=UTC)
    check_visit_time(now + timedelta(hours=23), now)
    check_visit_time(now + timedelta(days=1), now)
    with pytest.raises(ValidationError, match="more than a day in the future") as error:
        check_visit_time(now + timedelta(days=1, minutes=1), now)
    assert error.value.field == "started_at"
