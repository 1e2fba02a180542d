"""Dates as typed by a person: ISO (2027-08-31) everywhere, and the workstation's own short
format (8/31/27, 31.08.27, 31/08/2027, 2027/8/31). Pure: the caller says which order the
locale writes day, month and year in, and where a two-digit year most likely lies."""

from __future__ import annotations

import calendar
import re
from datetime import date
from enum import Enum

from models.errors import ValidationError


class Century(Enum):
    """Where a two-digit year lies: a birth date in the past, an expiry ahead, a visit near today."""

    PAST = "past"
    FUTURE = "future"
    NEAR = "near"


_ISO = re.compile(r"(\d{4})\s*[-/.\s]\s*(\d{1,2})(?:\s*[-/.\s]\s*(\d{1,2}))?\.?", re.ASCII)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_PARTS = re.compile(r"(\d{1,4})\s*[-/.\s]\s*(\d{1,2})\s*[-/.\s]\s*(\d{1,4})\.?", re.ASCII)
_MONTH_YEAR = re.compile(r"(\d{1,2})\s*[-/.]\s*(\d{4})", re.ASCII)
# Messages are in English whatever the workstation's locale (calendar.month_name is not).
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def locale_order(short_format: str) -> str:
    """'DMY', 'MDY' or 'YMD' from a locale's short date pattern ('M/d/yy', 'dd.MM.yy')."""
    positions = {letter: short_format.find(letter) for letter in "dMy"}
    if min(positions.values()) < 0:
        return "DMY"
    return "".join(sorted("DMY", key=lambda part: positions["dMy"["DMY".index(part)]]))


def parse_date(
    text: str,
    order: str = "DMY",
    century: Century = Century.NEAR,
    today: date | None = None,
    month_end: bool = False,
) -> date:
    """The date in `text`. ISO (year first) is always understood; otherwise the three
    numbers are read in `order`. With `month_end`, a month alone ('2027-08', '08/2027',
    as printed on a box) means its last day. ValidationError says why a text is no date."""
    today = today or date.today()
    written = text.strip()
    if not written:
        raise ValidationError("type a date, such as 2027-08-31", "date")
    if match := _ISO.fullmatch(written) or _COMPACT.fullmatch(written):
        year, month, day = match.groups()
        if day is None:
            return _month_end(int(year), int(month), written, month_end)
        return _checked(int(year), int(month), int(day), written)
    if match := _MONTH_YEAR.fullmatch(written):
        month, year = match.groups()
        return _month_end(int(year), int(month), written, month_end)
    if match := _PARTS.fullmatch(written):
        numbers = dict(zip(order, match.groups(), strict=True))
        year_text = numbers["Y"]
        if len(year_text) not in (2, 4):
            raise ValidationError(f"“{written}”: write the year with 4 digits, such as 2027", "date")
        year = int(year_text) if len(year_text) == 4 else _full_year(int(year_text), century, today)
        return _checked(year, int(numbers["M"]), int(numbers["D"]), written)
    example = {"DMY": "31/08/2027", "MDY": "08/31/2027", "YMD": "2027/08/31"}[order]
    raise ValidationError(f"“{written}” is not a date: type it as 2027-08-31 or {example}", "date")


def _full_year(two_digits: int, century: Century, today: date) -> int:
    this_century = today.year - today.year % 100
    candidate = this_century + two_digits
    if century is Century.FUTURE:
        return candidate if candidate >= today.year - 50 else candidate + 100
    if century is Century.PAST:
        return candidate if candidate <= today.year else candidate - 100
    return min((candidate - 100, candidate, candidate + 100), key=lambda year: abs(year - today.year))


def _month_end(year: int, month: int, written: str, allowed: bool) -> date:
    if not allowed:
        raise ValidationError(f"“{written}” has no day: type the whole date, such as 2027-08-31", "date")
    if not 1 <= month <= 12:
        raise ValidationError(f"“{written}”: there is no month {month}", "date")
    return date(year, month, calendar.monthrange(year, month)[1])


def _checked(year: int, month: int, day: int, written: str) -> date:
    if not 1 <= month <= 12:
        raise ValidationError(f"“{written}”: there is no month {month}", "date")
    if year < 1:
        raise ValidationError(f"“{written}”: there is no year {year}", "date")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise ValidationError(f"“{written}”: {MONTHS[month - 1]} {year} has {last} days", "date")
    return date(year, month, day)
