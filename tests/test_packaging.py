"""The program as a user installs it (`make run`, a plain `pip install`): the project without
extras in a fresh virtual environment imports every module and prints a record. A runtime
import that only the test extras provide (pypdfium2 once was) fails here.

It installs from the package index the machine's pip is configured with, as `make` does,
and takes about half a minute: `pytest -m "not packaging"` leaves it out.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "models", "ui")


def program_modules() -> list[str]:
    """Every module of the program by name; not the migration scripts (Alembic loads them)
    nor `__main__` (it runs the program: see `python -m app --version` below)."""
    names = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts or parts[-1] == "__main__":
                continue
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


IMPORT_ALL = """
import importlib, sys
from pathlib import Path
for name in sys.argv[2:]:
    module = importlib.import_module(name)
    assert Path(module.__file__).resolve().is_relative_to(sys.argv[1]), f"{name} from {module.__file__}"
print(len(sys.argv) - 2)
"""


@pytest.mark.packaging
def test_installed_without_extras_it_imports_every_module_and_prints(tmp_path):
    # Built from a copy: building in the working tree would leave build/ behind there.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".*", "__pycache__", "*.egg-info", "build", "dist", "tests", "bench", "installer", "docs"
        ),
    )
    environment = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", environment], check=True)
    binaries = environment / ("Scripts" if os.name == "nt" else "bin")
    python = binaries / "python"
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check", source],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=900,
    )
    assert installed.returncode == 0, installed.stderr[-4000:]

    run_environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTHON") and k not in ("ALIQUOT_DB", "VIRTUAL_ENV")
    }
    run_environment["QT_QPA_PLATFORM"] = "offscreen"

    def run(*command):
        result = subprocess.run(
            [str(c) for c in command],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=run_environment,
            stdin=subprocess.DEVNULL,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        return result.stdout

    modules = program_modules()
    assert {"app.cli", "models.tables", "ui.record_preview"} <= set(modules)
    assert run(python, "-c", IMPORT_ALL, environment.resolve(), *modules).strip() == str(len(modules))

    assert run(python, "-m", "app", "--version").startswith("aliquot ")
    clinic = tmp_path / "clinic.db"
    run(binaries / "aliquot", "--db", clinic, "demo", "--patients", "3")
    run(binaries / "aliquot", "--db", clinic, "pdf", "history", "A-0001", "-o", tmp_path / "history.pdf")
    assert (tmp_path / "history.pdf").read_bytes().startswith(b"%PDF")
