"""What a box's barcode says: a GS1 DataMatrix or GS1-128 scan read into GTIN, lot, expiry
and serial number (the parsing itself is biip's).

A keyboard-wedge scanner types the barcode into whatever field has the focus: the group
separator (FNC1, ASCII 29) between variable-length fields may arrive as itself, or be lost;
the symbology prefix ("]d2" for a DataMatrix, "]C1" for GS1-128) may be there or not. An
expiry day of "00" means the end of that month (GS1 General Specifications 7.12). A scan
that is not a GS1 message, has a GTIN whose check digit is wrong, or says no lot, is
refused with what was read.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from models.errors import ValidationError

GROUP_SEPARATOR = "\x1d"


@dataclass(frozen=True)
class Gs1Scan:
    gtin: str  # 14 digits
    lot: str
    expiry: date | None
    serial: str | None


def looks_like_scan(text: str) -> bool:
    """What a keyboard-wedge scanner types for a box's GS1 barcode ("01…", or "]d2…" with
    the symbology prefix), longer than any lot number: read as a scan, not as a lot."""
    text = text.strip()
    return (text.startswith("01") or text.startswith("]")) and len(text) > 16


def parse_gs1(text: str) -> Gs1Scan:
    """The GTIN, lot, expiry and serial of a scanned box; refused, with what was read, when
    the scan is not a GS1 message of a product with its lot."""
    import biip
    from biip.gs1_messages import GS1Message

    raw = text.strip().replace("<GS>", GROUP_SEPARATOR)
    if not raw:
        raise ValidationError("the scan is empty", "gs1")
    body = raw[3:] if raw[:1] == "]" else raw
    try:
        message = GS1Message.parse(body)
    except Exception as error:  # biip's ParseError, and anything else a hostile scan causes
        result = biip.parse(raw)
        why = result.gs1_message_error or str(error)
        raise ValidationError(
            f"the scan {_shown(raw)} is not a GS1 barcode this program can read: {why}", "gs1"
        ) from None
    fields = {element.ai.ai: element for element in message.element_strings}
    gtin = fields.get("01")
    if gtin is None:
        raise ValidationError(f"the scan {_shown(raw)} names no product (no GTIN, AI 01)", "gs1")
    if gtin.gtin_error:
        raise ValidationError(f"the scan {_shown(raw)} has a wrong GTIN: {gtin.gtin_error}", "gs1")
    lot = fields.get("10")
    if lot is None or not lot.value.strip():
        raise ValidationError(f"the scan {_shown(raw)} names no lot (AI 10)", "gs1")
    expiry = _expiry(fields["17"].value) if "17" in fields else None
    serial = fields["21"].value if "21" in fields else None
    return Gs1Scan(gtin.value, lot.value.strip(), expiry, serial)


def _expiry(value: str) -> date:
    """YYMMDD, the century by GS1's rule (within 49 years ahead, else the century before),
    and a day of 00 meaning the month's last day."""
    year, month, day = int(value[0:2]), int(value[2:4]), int(value[4:6])
    this_year = date.today().year
    century = this_year // 100 * 100
    full_year = century + year
    if full_year - this_year >= 51:
        full_year -= 100
    elif this_year - full_year > 49:
        full_year += 100
    if not 1 <= month <= 12:
        raise ValidationError(f"the expiry {value} has no month {month:02d}", "gs1")
    last = calendar.monthrange(full_year, month)[1]
    if day == 0:
        day = last
    if day > last:
        raise ValidationError(f"the expiry {value} has no day {day:02d}", "gs1")
    return date(full_year, month, day)


def _shown(raw: str) -> str:
    return repr(raw.replace(GROUP_SEPARATOR, "<GS>"))
