"""The workstation locales that number and date entry are tested under."""

from __future__ import annotations

import locale
from contextlib import contextmanager

import pytest

# C is what a service or a bare terminal runs with; the others write numbers and dates
# differently (2.5 / 2,5; 8/31/27, 31.08.27, 31/08/2027).
TEST_LOCALES = ("C", "en_US.UTF-8", "de_DE.UTF-8", "fr_FR.UTF-8")


@contextmanager
def workstation_locale(name: str):
    """Python's process locale set to `name` for the block (skips when the system lacks it;
    .ci/run generates every one of TEST_LOCALES)."""
    saved = locale.setlocale(locale.LC_ALL)
    try:
        locale.setlocale(locale.LC_ALL, name)
    except locale.Error:
        pytest.skip(f"the locale {name} is not installed on this machine")
    try:
        yield
    finally:
        locale.setlocale(locale.LC_ALL, saved)
