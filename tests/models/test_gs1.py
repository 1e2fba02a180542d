"""Box barcodes as a keyboard-wedge scanner types them."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import ValidationError
from models.gs1 import GROUP_SEPARATOR, parse_gs1

GTIN = "09506000134352"  # GS1's own example GTIN, check digit 2


@pytest.mark.parametrize(
    "scan",
    [
        f"]d201{GTIN}17271231" + "10C1234",  # DataMatrix prefix, lot last: no separator needed
        f"01{GTIN}17271231" + "10C1234",  # no prefix
        f"]C101{GTIN}10C1234{GROUP_SEPARATOR}17271231",  # GS1-128, the separator after the lot
        f"01{GTIN}10C1234<GS>17271231",  # a separator some scanners type as text
        f"  01{GTIN}1727123110C1234\n",  # the Enter the scanner sends, and stray spaces
    ],
)
def test_a_scan_gives_gtin_lot_and_expiry_with_or_without_separators_and_prefix(scan):
    read = parse_gs1(scan)
    assert (read.gtin, read.lot, read.expiry, read.serial) == (GTIN, "C1234", date(2027, 12, 31), None)


def test_a_day_of_00_is_the_month_s_last_day_and_the_serial_is_read():
    read = parse_gs1(f"01{GTIN}17280200" + f"10LOT-7{GROUP_SEPARATOR}21SN0042")
    assert read.expiry == date(2028, 2, 29) and read.lot == "LOT-7" and read.serial == "SN0042"


@pytest.mark.parametrize(
    ("scan", "message"),
    [
        ("", "the scan is empty"),
        ("hello", "not a GS1 barcode"),
        ("01095060001343531727123110C1234", r"wrong GTIN: Invalid GTIN check digit .* Expected 2, got 3"),
        (f"01{GTIN}17271231", r"names no lot \(AI 10\)"),
        ("10C12341727123", "not a GS1 barcode|names no product"),
        (f"01{GTIN}17271331" + "10C1", r"not a GS1 barcode .*AI \(17\)"),
    ],
)
def test_what_is_not_a_box_barcode_is_refused_with_what_was_read(scan, message):
    with pytest.raises(ValidationError, match=message):
        parse_gs1(scan)


lots = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=20)


@given(lot=lots, expiry=st.dates(min_value=date(2026, 1, 1), max_value=date(2060, 12, 31)))
def test_any_lot_and_expiry_read_back(lot, expiry):
    scan = f"]d201{GTIN}17{expiry:%y%m%d}10{lot}"
    read = parse_gs1(scan)
    assert (read.gtin, read.lot, read.expiry) == (GTIN, lot, expiry)
