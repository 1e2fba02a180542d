"""The bundled fonts as fallbacks of the screen: a workstation without a CJK or Hebrew font
(a fresh Debian has DejaVu at most) still draws every patient's name, not boxes."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QFontDatabase

import resources

log = logging.getLogger(__name__)

FONT_SUFFIXES = (".ttf", ".otf")


def bundled_font_files(folder: Path | None = None) -> list[Path]:
    """Every font file in resources/fonts, in name order (a font added there is used too)."""
    folder = folder if folder is not None else resources.path("fonts")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in FONT_SUFFIXES)


def register_bundled_fonts(folder: Path | None = None) -> list[str]:
    """Add the bundled fonts to the application's font database (after QApplication is
    made): Qt then falls back on them for any character the system fonts lack. Returns the
    families added; a file Qt cannot read is logged and passed over."""
    families: list[str] = []
    for path in bundled_font_files(folder):
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id < 0:
            log.warning("font not loaded: %s", path.name)
            continue
        families.extend(QFontDatabase.applicationFontFamilies(font_id))
    return families
