"""Charting rules. Each broken rule raises ValidationError with a message a clinician
understands and the name of the field at fault."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from models.amounts import check_decimals, format_dose
from models.errors import ValidationError
from models.records import PatientDraft
from models.regions import REGIONS, regions_in_view
from models.vocabulary import Depth, DoseUnit, Technique, View

Choice = TypeVar("Choice", bound=StrEnum)

_GAUGE = re.compile(r"^(\d{2})G$")
EARLIEST_VISIT_YEAR = 1970
# Clocks and time zones of two workstations, or of another system and this one, may differ
# by hours; a visit further ahead than this has not happened and is not a record.
MAX_VISIT_AHEAD = timedelta(days=1)
# The most deposits charted at one site; the window's aliquot boxes stop here too.
MAX_ALIQUOTS = 99


@dataclass(frozen=True)
class ProductRule:
    """What validation needs to know of a product."""

    name: str
    dose_unit: DoseUnit
    max_dose_per_visit: Decimal | None  # None: never refused (hyaluronidase)
    max_dose_per_site: Decimal | None = None  # None: the per-visit ceiling


@dataclass(frozen=True)
class LotRule:
    number: str
    product_name: str
    expiry: date | None


def check_unit(unit: str, product: ProductRule) -> None:
    """Units belong to the product: Botox units are not Dysport units, nor mL."""
    if unit != product.dose_unit.value:
        raise ValidationError(f"{product.name} is dosed in {product.dose_unit.spoken}, not {unit}", "unit")


def check_amount(amount: Decimal, product: ProductRule) -> None:
    if amount <= 0:
        raise ValidationError(
            f"the amount of {product.name} must be more than 0 {product.dose_unit}", "amount"
        )
    check_decimals(amount, f"{amount} {product.dose_unit}")
    per_site = (
        product.max_dose_per_site if product.max_dose_per_site is not None else product.max_dose_per_visit
    )
    _check_ceiling(
        amount,
        f"{amount} {product.dose_unit} of {product.name} at one site",
        per_site,
        "at one site" if product.max_dose_per_site is not None else "in one visit",
        product,
    )


def _check_ceiling(
    amount: Decimal, what: str, ceiling: Decimal | None, where: str, product: ProductRule
) -> None:
    """Hard ceilings catch typing errors (a figure ten times what was meant); they are
    refused with the figures. Usual ranges only warn (models.guardrails)."""
    if ceiling is not None and amount > ceiling:
        raise ValidationError(
            f"{what} is more than {ceiling} {product.dose_unit}, the most charted {where};"
            " check for a typing error",
            "amount",
        )


def check_visit_totals(totals: dict[str, Decimal], products: dict[str, ProductRule]) -> None:
    """The whole visit's amount of each product against the product's per-visit ceiling."""
    for name, total in totals.items():
        product = products[name]
        _check_ceiling(
            total,
            f"this visit's total of {total} {product.dose_unit} of {product.name}",
            product.max_dose_per_visit,
            "in one visit",
            product,
        )


def check_visit_time(moment: datetime, now: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValidationError("the visit time must carry a time zone", "started_at")
    if moment.year < EARLIEST_VISIT_YEAR:
        raise ValidationError(f"{moment.isoformat()} is not a plausible visit time", "started_at")
    if moment > now + MAX_VISIT_AHEAD:
        raise ValidationError(
            f"{moment.isoformat()} is more than a day in the future; a visit is charted when it happens",
            "started_at",
        )


def checked_name(name: str | None, field: str, label: str, missing: str, limit: int = 120) -> str:
    """A name typed on one line (an injector, a template): spaces folded, required, at most
    `limit` characters, no control or invisible characters. `missing`: the message when empty."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(missing, field)
    check_length(name, limit, field, label)
    check_text(name, field, label)
    return name


def check_length(value: str | None, limit: int, field: str, label: str) -> None:
    """Text that fits its column on every database (PostgreSQL refuses, SQLite would not)."""
    if value is not None and len(value) > limit:
        raise ValidationError(
            f"too long for the {label} field ({len(value)} characters; at most {limit})", field
        )


def check_aliquots(aliquots: object) -> int:
    if isinstance(aliquots, bool) or not isinstance(aliquots, int):
        raise ValidationError(f"aliquots must be a whole number, not {aliquots!r}", "aliquots")
    if aliquots < 1:
        raise ValidationError("a site receives at least 1 aliquot", "aliquots")
    if aliquots > MAX_ALIQUOTS:
        raise ValidationError(
            f"a site receives at most {MAX_ALIQUOTS} aliquots; check for a typing error", "aliquots"
        )
    return aliquots


# Zero-width (non-)joiners belong to Persian and Indic spelling and to emoji.
_JOINERS = frozenset("\u200c\u200d")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _odd_character(text: str, single_line: bool) -> str | None:
    """What is wrong with the first character that has no place in the text, or None.
    Free text keeps its line breaks and tabs; one-line text keeps neither."""
    for position, character in enumerate(text, start=1):
        category = unicodedata.category(character)
        where = f"(U+{ord(character):04X}, character {position})"
        if category == "Cs":
            return f"a broken character {where}, left over from damaged text"
        if single_line:
            if character in _LINE_BREAKS:
                return f"a line break {where}; it must be one line"
            if character == "\t":
                return f"a tab {where}; it must be one line"
            if category == "Cf" and character not in _JOINERS:
                return f"an invisible formatting character {where}"
        if category == "Cc" and (single_line or character not in "\t\n\r"):
            return f"a control character {where}"
    return None


def check_text(value: str | None, field: str, label: str, single_line: bool = True) -> None:
    """Text as a person writes it: no control characters (NUL, escape codes), no broken
    characters; one-line fields (names, numbers) also no line breaks, tabs or invisible
    characters such as a right-to-left override that would show another name."""
    problem = _odd_character(value, single_line) if value else None
    if problem is not None:
        raise ValidationError(f"the {label} holds {problem}", field)


def identity_key(text: str) -> str:
    """What makes two identifiers (chart numbers, external ids) the same record: letter case
    is ignored, so A-0001 is a-0001. Stored beside the identifier and unique."""
    return unicodedata.normalize("NFC", text.casefold())


def check_position(view: str, x: object, y: object, region_code: str) -> View:
    parsed_view = required_choice(view, View, "view")
    for name, value in (("x", x), ("y", y)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError(f"{name} must be a number between 0 and 1", name)
        if not 0 <= value <= 1:
            raise ValidationError(
                f"the point lies outside the drawing ({name} = {value}; it must be 0 to 1)", name
            )
    if region_code not in REGIONS:
        raise ValidationError(f"unknown face region {region_code!r}", "region")
    if REGIONS[region_code] not in regions_in_view(parsed_view):
        raise ValidationError(
            f"{REGIONS[region_code].label} cannot be seen on the {parsed_view.value} view",
            "region",
        )
    return parsed_view


def check_lot_product(lot: LotRule, product: ProductRule) -> None:
    """A lot number registered for another product is most likely the wrong box."""
    if lot.product_name != product.name:
        raise ValidationError(f"lot {lot.number} belongs to {lot.product_name}, not {product.name}", "lot")


def check_lot(lot: LotRule, product: ProductRule, visit_date: date) -> None:
    check_lot_product(lot, product)
    if lot.expiry is not None and lot.expiry < visit_date:
        raise ValidationError(
            f"lot {lot.number} of {product.name} expired on {lot.expiry.isoformat()},"
            f" before this visit on {visit_date.isoformat()}",
            "lot",
        )


def check_lot_package_size(
    size: Decimal, sizes: tuple[Decimal, ...], lot_number: str, product: ProductRule
) -> Decimal:
    """A lot's vial or syringe size must be one the product comes in (its catalogue sizes)."""
    if size not in sizes:
        offered = " or ".join(format_dose(s, product.dose_unit) for s in sizes) or "no size at all"
        raise ValidationError(
            f"lot {lot_number} of {product.name} cannot come in {format_dose(size, product.dose_unit)}"
            f" packages: {product.name} comes in {offered}",
            "lot",
        )
    return size


class UnknownChoice(ValidationError):
    """A value that is not one of its vocabulary's: says which values are known."""

    def __init__(self, message: str, field: str, known: str):
        super().__init__(message, field)
        self.known = known  # "front, left, right"


def check_choice(value: object, vocabulary: type[Choice], field: str, optional: bool = True) -> Choice | None:
    """A value from a closed vocabulary (view, depth, technique, a visit's status…); an
    optional one is None when left empty. The one place such a value is read."""
    if optional and value in (None, ""):
        return None
    if isinstance(value, str):  # a number or a list is never one of a vocabulary's words
        try:
            return vocabulary(value)
        except ValueError:
            pass
    known = ", ".join(v.value for v in vocabulary)
    raise UnknownChoice(f"unknown {field} {value!r} (known: {known})", field, known)


def required_choice(value: object, vocabulary: type[Choice], field: str) -> Choice:
    """A value from a closed vocabulary that must be given."""
    choice = check_choice(value, vocabulary, field, optional=False)
    assert choice is not None  # refused above when it is not one of the vocabulary's
    return choice


def check_depth(value: str | None) -> Depth | None:
    return check_choice(value, Depth, "depth")


def check_technique(value: str | None) -> Technique | None:
    return check_choice(value, Technique, "technique")


def check_gauge(value: str | None) -> str:
    """Needle or cannula gauge as charted: '30G'. Empty when not recorded."""
    if not value:
        return ""
    match = _GAUGE.match(value.strip().upper())
    if not match or not 14 <= int(match.group(1)) <= 34:
        raise ValidationError(f"gauge {value!r} is not a needle or cannula gauge like 30G", "gauge")
    return f"{match.group(1)}G"


# No '/', '\\' or spaces: a chart number names files (the export suggests A-0001.json), so
# it must never be a path; first and last a letter or digit, so never '..' or a trailing dot.
_CHART_NUMBER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,30}[A-Za-z0-9])?")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_chart_number(chart_number: str) -> None:
    if not _CHART_NUMBER.fullmatch(chart_number or ""):
        raise ValidationError(
            f"chart number {chart_number!r} may only hold letters, digits, '-', '.' and '_' (up to 32,"
            " no spaces or accents, beginning and ending with a letter or digit)",
            "chart_number",
        )


def check_patient(draft: PatientDraft, today: date, stored_chart_number: str | None = None) -> None:
    """Demographics of a PatientDraft. A chart number already stored (stored_chart_number,
    kept as it is) is not held to rules made after it was given."""
    if draft.chart_number != stored_chart_number:
        check_chart_number(draft.chart_number)
    for field, label in (("given_name", "given name"), ("family_name", "family name")):
        value = getattr(draft, field)
        if not value or not value.strip():
            raise ValidationError(f"the patient's {label} is required", field)
        check_length(value, 120, field, label)
        check_text(value, field, label)
    check_length(draft.phone, 40, "phone", "phone number")
    check_length(draft.email, 254, "email", "email address")
    check_text(draft.phone, "phone", "phone number")
    check_text(draft.email, "email", "email address")
    check_text(draft.allergies, "allergies", "allergies", single_line=False)
    check_text(draft.medical_notes, "medical_notes", "medical notes", single_line=False)
    check_text(draft.alerts, "alerts", "alerts", single_line=False)
    born = draft.date_of_birth
    if born is not None and (born > today or born.year < 1900):
        raise ValidationError(
            f"date of birth {born.isoformat()} is not a possible birth date", "date_of_birth"
        )
    if draft.email and not _EMAIL.match(draft.email):
        raise ValidationError(f"{draft.email!r} is not an email address", "email")
