"""The Linux bundle's smaller ICU data (installer/trim_icu.py) does what Qt asks of ICU.

Each check runs installer/check_icu.py in a fresh interpreter: this one has loaded Qt, and
with it Qt's own ICU, which would answer instead of the library under test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import PySide6
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "installer"))
import trim_icu  # noqa: E402

QT_LIB = Path(PySide6.__file__).parent / "Qt" / "lib"
ICU_DATA = next(QT_LIB.glob("libicudata.so.*"), None)


@pytest.fixture(scope="module")
def tools():
    if ICU_DATA is None:
        pytest.skip("this Qt carries no ICU of its own (Windows and macOS builds use the system's)")
    missing = [name for name in trim_icu.TOOLS if trim_icu.find_tool(name) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI builds the installer and needs {missing} (see .ci/run)")
        pytest.skip(f"needs {missing} to build the ICU data library")


def icu_folder(folder: Path, data_library: Path) -> Path:
    """A folder holding Qt's ICU code libraries beside the given data library."""
    folder.mkdir()
    for library in QT_LIB.glob("libicu*.so.*"):
        if not library.name.startswith("libicudata"):
            shutil.copy(library, folder)
    shutil.copy(data_library, folder / ICU_DATA.name)
    return folder


def check(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "installer" / "check_icu.py"), str(folder)],
        capture_output=True,
        text=True,
    )


def test_unused_items_are_display_names_and_dictionaries():
    assert trim_icu.unused("lang/de.res") and trim_icu.unused("brkitr/cjdict.dict")
    for kept in (
        "coll/sv.res",
        "coll/ucadata.icu",
        "zone/de.res",
        "metaZones.res",
        "de.res",
        "root.res",
        "cnvalias.icu",
        "ibm-943_P15A-2003.cnv",
        "nfkc.nrm",
    ):
        assert not trim_icu.unused(kept), kept


def test_trimmed_data_collates_and_names_zones_as_the_full_one(tools, tmp_path):
    full = check(QT_LIB)
    assert full.returncode == 0, full.stderr
    trimmed = trim_icu.trimmed_icu_data(ICU_DATA, tmp_path / "build")
    assert trimmed.stat().st_size < 0.6 * ICU_DATA.stat().st_size
    result = check(icu_folder(tmp_path / "trimmed", trimmed))
    assert result.returncode == 0, result.stderr
    assert result.stdout == full.stdout
    assert "sv collation: ['a', 'z', 'ä']" in result.stdout
    assert "de zone name: Mitteleuropäische Normalzeit" in result.stdout
    assert "Shift_JIS: 日本" in result.stdout


def test_the_check_fails_when_a_locale_lost_its_collation(tools, tmp_path, monkeypatch):
    monkeypatch.setattr(trim_icu, "unused", lambda item: item.startswith("lang/") or item == "coll/sv.res")
    damaged = trim_icu.trimmed_icu_data(ICU_DATA, tmp_path / "build")
    result = check(icu_folder(tmp_path / "damaged", damaged))
    assert result.returncode == 1
    assert "sv collation gave ['a', 'ä', 'z']" in result.stderr
