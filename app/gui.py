"""The one door from the command line into the GUI: ui/ is imported only here, lazily,
so that the command line and the services never load Qt."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from app.storage.database import Database
from models.errors import AliquotError


def has_display(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> bool:
    """Whether a window can be shown. Without this check Qt aborts with a core dump on a
    Linux machine that has no screen (a server, an SSH session)."""
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def export_chart_image(
    database: Database, visit_id: int, output: Path, view: str, replace: bool = False
) -> Path:
    """`aliquot export-image`: the chart drawn offscreen (needs no screen), written whole or
    not at all by the one writer."""
    if not has_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from models.vocabulary import View
    from ui.chart_image import export_visit_png

    return export_visit_png(database, visit_id, output, View(view), replace=replace)


def run_gui(database: Database, argv: list[str]) -> int:
    if not has_display():
        raise AliquotError(
            "no screen to open the Aliquot window on (DISPLAY is not set);"
            " run it on the desktop, or use a command: aliquot --help"
        )
    from ui.application import run

    return run(database, argv)
