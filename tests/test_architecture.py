"""The layer rule, enforced by import-linter (contracts in pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(directory), "PATH": ""},
    )


def test_contracts_hold():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken" in result.stdout


def test_a_qt_import_in_models_breaks_the_contract(tmp_path):
    copy = tmp_path / "tree"
    for part in ("app", "models", "ui", "resources"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy)
    (copy / "models" / "sneaky.py").write_text("from PySide6.QtCore import QObject\n")
    (copy / "app" / "also_sneaky.py").write_text("import ui.application\n")
    result = lint(copy)
    assert result.returncode != 0
    assert "models and app never import Qt BROKEN" in result.stdout
    assert "layers: ui above app above models BROKEN" in result.stdout


def test_storage_does_not_import_the_due_list():
    """The recall summary is kept by the services' session hook: opening a database does not
    reach into the due list (app/services/recall.py), so the two never import each other."""
    for path in (ROOT / "app" / "storage").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "app.services.recall" not in text, path.name
        assert "refresh_recall" not in text, path.name
