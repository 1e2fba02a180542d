"""The installed bundle: its size on disk and the frozen program's start to a painted window.

Needs `make dist` first (dist/aliquot) and the 100,000-patient clinic of bench/foundation.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import report, start_to_paint_ms  # noqa: E402

BUNDLE = ROOT / "dist" / "aliquot"


def size_on_disk_mb(folder: Path) -> float:
    """What the unpacked bundle takes, as `du` counts it (each file once, links not followed)."""
    files = (path for path in folder.rglob("*") if path.is_file() and not path.is_symlink())
    return sum(path.stat().st_size for path in files) / 1e6


def main() -> int:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "aliquot-bench-100k.db")
    args = parser.parse_args()
    program = BUNDLE / ("aliquot.exe" if sys.platform == "win32" else "aliquot")
    if not program.exists():
        print(f"{program} is missing: run `make dist` first")
        return 2
    if not args.db.exists():
        print(f"{args.db} is missing: run bench/foundation.py first (it builds the 100,000-patient clinic)")
        return 2
    results = [report("unpacked bundle", size_on_disk_mb(BUNDLE), 150, "MB")]
    for packed in sorted((ROOT / "dist").glob("*.tar.gz")):
        print(f"{'packed ' + packed.name:<58} {packed.stat().st_size / 1e6:>10.1f} MB  (no target)")
    results.append(
        report(
            "frozen start to a painted window (100,000 patients)",
            start_to_paint_ms([str(program), "--db", str(args.db)], repeat=5),
            1500,
        )
    )
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
