"""Check that the ICU in a folder still does what QtCore asks of it.

    python installer/check_icu.py dist/aliquot/_internal/PySide6/Qt/lib

Loads that folder's libicuuc and libicui18n (and through them its libicudata) in this
process and calls the ICU functions QtCore imports: collation with a locale's own rules,
time zone ids and localized names, legacy codecs, case mapping. Prints what it found; exits 1 with the
first difference. Run it in a process that has not loaded Qt, whose ICU would be used instead.
"""

from __future__ import annotations

import ctypes
import re
import sys
from pathlib import Path

U_ZERO_ERROR = 0


class ICU:
    def __init__(self, folder: Path):
        common = next(folder.glob("libicuuc.so.*"))
        self.suffix = "_" + re.fullmatch(r"libicuuc\.so\.(\d+)", common.name).group(1)
        self.common = ctypes.CDLL(str(common))
        self.i18n = ctypes.CDLL(str(next(folder.glob("libicui18n.so.*"))))

    def call(self, library, name: str, *args):
        status = ctypes.c_int(U_ZERO_ERROR)
        function = getattr(library, name + self.suffix)
        function.restype = ctypes.c_void_p if name.endswith("open") else ctypes.c_int32
        result = function(*args, ctypes.byref(status))
        if status.value > U_ZERO_ERROR:  # warnings (below zero) are fine: the results are checked
            raise SystemExit(f"ICU {name}: error {status.value}")
        return result

    def collation_order(self, locale: str, words: list[str]) -> list[str]:
        collator = ctypes.c_void_p(self.call(self.i18n, "ucol_open", locale.encode()))
        strcoll = getattr(self.i18n, "ucol_strcoll" + self.suffix)
        ordered = list(words)
        for i in range(len(ordered)):  # a small insertion sort using the collator
            for j in range(i, 0, -1):
                a, b = _utf16(ordered[j - 1]), _utf16(ordered[j])
                if strcoll(collator, a, len(a) // 2, b, len(b) // 2) > 0:
                    ordered[j - 1], ordered[j] = ordered[j], ordered[j - 1]
        getattr(self.i18n, "ucol_close" + self.suffix)(collator)
        return ordered

    def zone_name(self, zone: str, locale: str) -> str:
        zone16 = _utf16(zone)
        calendar = ctypes.c_void_p(
            self.call(self.i18n, "ucal_open", zone16, len(zone16) // 2, locale.encode(), 0)
        )
        buffer = ctypes.create_string_buffer(256)
        length = self.call(
            self.i18n, "ucal_getTimeZoneDisplayName", calendar, 0, locale.encode(), buffer, 128
        )
        getattr(self.i18n, "ucal_close" + self.suffix)(calendar)
        return buffer.raw[: 2 * length].decode("utf-16-le")

    def canonical_zone(self, zone: str) -> str:
        zone16, buffer, system = _utf16(zone), ctypes.create_string_buffer(256), ctypes.c_int8()
        length = self.call(
            self.i18n,
            "ucal_getCanonicalTimeZoneID",
            zone16,
            len(zone16) // 2,
            buffer,
            128,
            ctypes.byref(system),
        )
        return buffer.raw[: 2 * length].decode("utf-16-le")

    def decode(self, data: bytes, codec: str) -> str:
        converter = ctypes.c_void_p(self.call(self.common, "ucnv_open", codec.encode()))
        buffer = ctypes.create_string_buffer(256)
        length = self.call(self.common, "ucnv_toUChars", converter, buffer, 128, data, len(data))
        getattr(self.common, "ucnv_close" + self.suffix)(converter)
        return buffer.raw[: 2 * length].decode("utf-16-le")

    def upper(self, text: str, locale: str) -> str:
        source, buffer = _utf16(text), ctypes.create_string_buffer(256)
        length = self.call(
            self.common, "u_strToUpper", buffer, 128, source, len(source) // 2, locale.encode()
        )
        return buffer.raw[: 2 * length].decode("utf-16-le")


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


# What each call must give: a locale's own collation rules (Swedish puts ä after z, German
# beside a; Chinese sorts by pinyin), time zone names in two languages, a canonical zone id,
# legacy codecs (Windows-1252, Shift_JIS) and the Turkish dotted capital I.
EXPECTED = [
    ("sv collation", lambda icu: icu.collation_order("sv", ["ä", "z", "a"]), ["a", "z", "ä"]),
    ("de collation", lambda icu: icu.collation_order("de", ["z", "ä", "a"]), ["a", "ä", "z"]),
    ("zh collation", lambda icu: icu.collation_order("zh", ["中", "阿", "李"]), ["阿", "李", "中"]),
    ("en zone name", lambda icu: icu.zone_name("Europe/Berlin", "en"), "Central European Standard Time"),
    ("de zone name", lambda icu: icu.zone_name("Europe/Berlin", "de"), "Mitteleuropäische Normalzeit"),
    ("canonical zone", lambda icu: icu.canonical_zone("US/Eastern"), "America/New_York"),
    ("windows-1252", lambda icu: icu.decode(b"\x80 caf\xe9", "windows-1252"), "€ café"),
    ("Shift_JIS", lambda icu: icu.decode("日本".encode("shift_jis"), "Shift_JIS"), "日本"),
    ("tr upper case", lambda icu: icu.upper("istanbul", "tr"), "İSTANBUL"),
]


def main(folder: str) -> int:
    icu = ICU(Path(folder))
    for what, call, expected in EXPECTED:
        found = call(icu)
        if found != expected:
            print(f"ICU in {folder}: {what} gave {found!r}, expected {expected!r}", file=sys.stderr)
            return 1
        print(f"{what}: {found}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
