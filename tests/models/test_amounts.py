"""One dose parser for every typed dose: exact, locale-free, refusing what it cannot be sure of."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.amounts import amount_from_data, format_dose, parse_amount
from models.errors import ValidationError
from models.vocabulary import DoseUnit
from tests.locales import TEST_LOCALES, workstation_locale

U, ML = DoseUnit.UNITS, DoseUnit.MILLILITRES


@pytest.mark.parametrize(
    "text, unit, expected",
    [
        ("4", U, "4"),
        ("4u", U, "4"),
        ("4 U", U, "4"),
        ("4 units", U, "4"),
        ("2,5", U, "2.5"),
        ("2.5", U, "2.5"),
        ("0,1", ML, "0.1"),
        ("0.05 mL", ML, "0.05"),
        ("0,05ml", ML, "0.05"),
        (" 1.5 ML ", ML, "1.5"),
        (".5", ML, "0.5"),
        ("0,125", U, "0.125"),
        ("4.0", U, "4"),
        ("12.50", U, "12.5"),
        ("1500", U, "1500"),
        ("４", U, "4"),
        ("٢٫٥", U, "2.5"),
        ("1\u00a0mL", ML, "1"),
    ],
)
def test_typed_doses_are_exactly_what_was_meant(text, unit, expected):
    value = parse_amount(text, unit)
    assert value == Decimal(expected) and str(value) == expected


@pytest.mark.parametrize(
    "text, unit, reason",
    [
        ("", U, "type an amount"),
        ("   ", U, "type an amount"),
        ("0", U, "more than 0"),
        ("0,000", ML, "more than 0"),
        ("-4", U, "has a sign"),
        ("+4", U, "has a sign"),
        ("−4", U, "has a sign"),
        ("1e3", U, "exponent"),
        ("1E-2", ML, "exponent"),
        ("NaN", U, "not an amount"),
        ("inf", U, "not an amount"),
        ("Infinity", U, "not an amount"),
        ("1,500", U, "could be read as 1.500 or as 1500"),
        ("1.000", U, "could be read as"),
        ("1.500,5", U, "more than one decimal mark"),
        ("1,000,000", U, "more than one decimal mark"),
        ("1 500", U, "thousands separator"),
        ("1\u202f500", U, "thousands separator"),
        ("1'500", U, "thousands separator"),
        ("0.1255", ML, "more than 3 decimal places"),
        ("4.", U, "ends with a decimal mark"),
        ("4 mL", U, r"Botox Cosmetic is dosed in units \(U\), not mL"),
        ("0.1 U", ML, r"dosed in millilitres \(mL\), not U"),
        ("4 kg", U, "not a dose in U"),
        ("four", U, "not an amount"),
        ("4 4", U, "thousands separator"),
        ("1234567890", U, "far too large"),
    ],
)
def test_what_cannot_be_a_sure_dose_is_refused_with_a_reason(text, unit, reason):
    with pytest.raises(ValueError, match=reason) as refused:
        parse_amount(text, unit, "Botox Cosmetic" if unit is U else "Juvéderm Voluma XC")
    assert isinstance(refused.value, ValidationError) and refused.value.field == "amount"


# Every dose a product could be given: up to three decimals, below the parser's ceiling.
doses = st.decimals(
    min_value=Decimal("0.001"),
    max_value=Decimal("99999.999"),
    places=3,
    allow_nan=False,
    allow_infinity=False,
)
SUFFIXES = {U: ["", "u", "U", " U", " u", " units", " IU"], ML: ["", "ml", "mL", " mL", " ml", " ML", " cc"]}


@st.composite
def typed(draw, unit):
    """A dose, one way an injector could type the number, and a unit after it."""
    value = draw(doses)
    text = format(value.normalize(), "f")
    if "." in text:
        text += "0" * draw(st.integers(0, 3 - len(text.partition(".")[2])))  # 2.5 as 2.50
    elif draw(st.booleans()):
        text += "." + "0" * draw(st.integers(1, 3))  # 4 as 4.0
    if text.startswith("0.") and draw(st.booleans()):
        text = text[1:]  # .5
    if draw(st.booleans()):
        text = text.replace(".", ",")
    return value, text, draw(st.sampled_from(SUFFIXES[unit]))


@pytest.mark.parametrize("name", TEST_LOCALES)
@pytest.mark.parametrize("unit", [U, ML])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_way_of_typing_a_dose_gives_it_exactly_or_is_refused(name, unit, data):
    value, number, suffix = data.draw(typed(unit))
    with workstation_locale(name):
        try:
            parsed = parse_amount(number + suffix, unit)
        except ValidationError as refused:
            # The one refusal of a well-typed dose: three decimals after a whole number
            # look like a thousands group ("1,500").
            whole, _, decimals = number.replace(",", ".").partition(".")
            assert len(decimals) == 3 and whole.strip("0"), (number, str(refused))
            return
    assert parsed == value


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=st.sampled_from("0123456789.,-+eE uUmLl٫٣４\u00a0xN"), max_size=12))
def test_whatever_is_typed_the_answer_is_a_sure_dose_or_a_reason(text):
    try:
        value = parse_amount(text, U)
    except ValidationError as refused:
        assert str(refused)
        return
    assert value > 0 and value == value.quantize(Decimal("0.001"))
    assert "e" not in str(value).lower()  # never written as 1E+2


def test_doses_are_shown_without_trailing_zeros():
    assert format_dose(Decimal("4.000"), U) == "4 U"
    assert format_dose(Decimal("0.050"), ML) == "0.05 mL"
    assert format_dose(Decimal("100"), "U") == "100 U"


@pytest.mark.parametrize("raw, expected", [("4", "4"), (4, "4"), (0.1, "0.1"), (" 2.5 ", "2.5")])
def test_amounts_from_files_are_exact(raw, expected):
    assert amount_from_data(raw) == Decimal(expected)
    assert str(amount_from_data(0.1)) == "0.1"  # never 0.1000000000000000055511151231257827


@pytest.mark.parametrize("raw", ["four", None, True, "NaN", "Infinity", "", "1,500", "0,05", "1e400"])
def test_amounts_from_files_refuse_non_numbers(raw):
    with pytest.raises(ValidationError):
        amount_from_data(raw)
