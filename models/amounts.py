"""Doses as typed by a person and as written in files: one set of rules, never a locale guess.

An injector types "0,1" or "0.1 mL" or "4u"; the value stored is exactly what was meant, or
the text is refused with a reason. The workstation's locale is never consulted: a comma and
a point are both the decimal mark, so "2,5" is 2.5 on every machine.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from models.base import AMOUNT_SCALE, format_amount, normalize_amount
from models.errors import ValidationError
from models.vocabulary import DoseUnit

# Amounts below 10^9: far above any dose, within the column's Numeric(12, 3).
MAX_AMOUNT_DIGITS = 8

# What an injector may write after the number, per unit (compared in lower case).
UNIT_WORDS = {
    DoseUnit.UNITS: {"u", "unit", "units", "iu"},
    DoseUnit.MILLILITRES: {"ml", "cc"},
}
_TYPED = re.compile(r"(?P<number>[0-9.,]*[0-9][0-9.,]*|[0-9.,]+)\s*(?P<unit>[^\s0-9.,]*)", re.ASCII)
# Characters a phone keyboard or an input method may send for digits and marks.
_ARABIC_DECIMAL_MARK = "\u066b"


def parse_amount(text: str, unit: DoseUnit | str, product: str = "") -> Decimal:
    """The dose typed in `text`, for a product dosed in `unit`.

    A comma and a point are both the decimal mark. Refused, each with a reason: an empty
    text, a sign, zero, an exponent, NaN or infinity, more than one mark, a thousands
    separator, more than three decimals, and a unit that is not the product's ("4 mL"
    of a toxin). `product` names the product in the messages."""
    unit = DoseUnit(unit)
    written = _plain(text)
    if not written:
        raise ValidationError("type an amount", "amount")
    match = _TYPED.fullmatch(written)
    if match is None:
        raise ValidationError(_not_a_dose(text, written), "amount")
    number, suffix = match["number"], match["unit"].lower()
    if suffix and suffix not in UNIT_WORDS[unit]:
        other = next((u for u, words in UNIT_WORDS.items() if suffix in words), None)
        who = product or "this product"
        if other is not None:
            raise ValidationError(
                f"{who} is dosed in {unit.spoken}, not {other.value}: type the amount in {unit.value}",
                "amount",
            )
        raise ValidationError(f"“{text.strip()}” is not a dose in {unit.value}", "amount")
    marks = re.findall(r"[.,]", number)
    if len(marks) > 1:
        raise ValidationError(
            f"“{text.strip()}” has more than one decimal mark; write one mark and no thousands"
            " separator (1.5 or 1500)",
            "amount",
        )
    whole, _, decimals = number.replace(",", ".").partition(".")
    if marks and not decimals:
        raise ValidationError(
            f"“{text.strip()}” ends with a decimal mark: write the decimals or leave the mark out", "amount"
        )
    if marks and len(decimals) == 3 and whole.lstrip("0"):
        # "1,500" is 1.5 in Paris and 1500 in Boston: neither is guessed.
        raise ValidationError(
            f"“{text.strip()}” could be read as {whole}.{decimals} or as {whole}{decimals}: type"
            f" {format_amount(Decimal(f'{whole}.{decimals}'))} or {int(whole + decimals)}"
            " (no thousands separator)",
            "amount",
        )
    return checked_amount(Decimal(f"{whole or '0'}.{decimals or '0'}"), f"“{text.strip()}”")


def amount_from_data(raw: object) -> Decimal:
    """An amount from a file: '4', 4, 0.1, '0.05'. Floats go through their shortest text so
    that 0.1 becomes Decimal('0.1'), never 0.1000000000000000055.

    Files are written by programs with a decimal point; a comma is refused, not guessed at
    ("1,500" may mean 1500 or 1.5)."""
    if isinstance(raw, bool) or raw is None or raw == "":
        raise ValidationError("an amount is required", "amount")
    if isinstance(raw, float):
        raw = repr(raw)
    text = str(raw).strip()
    if "," in text:
        raise ValidationError(
            f"amount {text!r} has a comma; write the number with a decimal point (1.5) and"
            " no thousands separator (1500)",
            "amount",
        )
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"amount {text!r} is not a number", "amount") from None
    if not value.is_finite():
        raise ValidationError(f"amount {text!r} is not a number", "amount")
    _check_magnitude(value, text)
    return value


def checked_amount(value: Decimal, written: str) -> Decimal:
    """A typed dose that is more than zero, at most three decimals and not absurdly large."""
    if value == 0:
        raise ValidationError("the amount must be more than 0", "amount")
    check_decimals(value, written)
    _check_magnitude(value, written)
    return normalize_amount(value)


def check_decimals(value: Decimal, written: str) -> None:
    if value != value.quantize(Decimal(1).scaleb(-AMOUNT_SCALE), rounding="ROUND_DOWN"):
        raise ValidationError(
            f"{written} has more than {AMOUNT_SCALE} decimal places: a dose is"
            f" recorded to {Decimal(1).scaleb(-AMOUNT_SCALE)} at most",
            "amount",
        )


def _check_magnitude(value: Decimal, written: str) -> None:
    if value.adjusted() > MAX_AMOUNT_DIGITS:
        raise ValidationError(f"amount {written} is far too large to be a dose", "amount")


def format_dose(value: Decimal, unit: DoseUnit | str) -> str:
    """A dose as people write it: '4 U', '0.05 mL', never '4.000 U'."""
    return f"{format_amount(value)} {DoseUnit(unit).value}"


def _plain(text: str) -> str:
    """The text with full-width and other script digits as ASCII (an input method may send
    '４' or '٤'), the Arabic decimal mark as a point and the edges trimmed."""
    text = unicodedata.normalize("NFKC", text).strip().replace(_ARABIC_DECIMAL_MARK, ".")
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text)


def _not_a_dose(text: str, written: str) -> str:
    shown = text.strip()
    if written[:1] in "+-\u2212":
        return f"“{shown}” has a sign: type the amount alone (4 or 0.1)"
    if re.search(r"[0-9][eE][+-]?[0-9]", written):
        return f"“{shown}” is written with an exponent: type the amount in full (1000, not 1e3)"
    if re.search(r"[0-9]\s+[0-9]", written) or re.search(r"[0-9][\u00a0\u202f'’][0-9]", written):
        return f"“{shown}” has a thousands separator: type the number without it (1500)"
    return f"“{shown}” is not an amount: type a number such as 4 or 0.1"
