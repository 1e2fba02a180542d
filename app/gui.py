"""The one door from the command line into the GUI: ui/ is imported only here, lazily,
so that the command line and the services never load Qt."""

from __future__ import annotations

from app.database import Database


def run_gui(database: Database, argv: list[str]) -> int:
    from ui.application import run

    return run(database, argv)
