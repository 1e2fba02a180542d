"""A smaller ICU data library for the Linux bundle.

Qt's Linux wheels carry ICU, and its data library (libicudata, 32 MB) is the largest file in
the bundle. QtCore calls ICU for four things only: collation (QCollator, which sorts file
dialogs), time zone ids and names (QTimeZone), legacy text codecs (QStringConverter, e.g.
for clipboard text in an old character set) and case mapping. Most of the data is for what
Qt never asks: the names of languages, countries, currencies and units in every language,
word-break dictionaries, transliteration and spelled-out numbers.

The trimmed library keeps every locale's collation, time zone names, locale data and every
codec, so Qt behaves as before; installer/check_icu.py proves it on the bundle.

Tools: objcopy (binutils), icupkg (Debian icu-devtools) and a C compiler.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

UNUSED_TREES = ("unit/", "curr/", "lang/", "region/", "translit/", "rbnf/", "brkitr/")
TOOLS = {"objcopy": "binutils", "icupkg": "icu-devtools", "cc": "gcc"}


def unused(item: str) -> bool:
    """Whether an item of the ICU data package is one Qt never reads."""
    return item.startswith(UNUSED_TREES)


def _run(*command: str | Path) -> str:
    return subprocess.run([str(part) for part in command], check=True, capture_output=True, text=True).stdout


def find_tool(name: str) -> str | None:
    # icupkg lives in /usr/sbin on Debian, which is not on every user's PATH
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")


def _tool(name: str) -> str:
    found = find_tool(name)
    if found is None:
        raise SystemExit(
            f"Building the Linux bundle needs {name} (Debian package {TOOLS[name]}) to make "
            "Qt's ICU data smaller; install it and run `make dist` again."
        )
    return found


def trimmed_icu_data(library: Path, workdir: Path) -> Path:
    """Build a copy of `library` (libicudata.so.NN) without the items Qt never reads.

    The data is the library's one symbol, icudtNN_dat, holding an ICU .dat package: take it
    out with objcopy, remove items with icupkg, and assemble it back under the same soname.
    """
    version = re.fullmatch(r"libicudata\.so\.(\d+)", library.name)
    if version is None:
        raise SystemExit(f"{library.name} is not an ICU data library")
    symbol = f"icudt{version.group(1)}_dat"
    workdir.mkdir(parents=True, exist_ok=True)
    package, trimmed = workdir / "full.dat", workdir / "trimmed.dat"
    _run(_tool("objcopy"), "-O", "binary", "--only-section=.rodata", library, package)
    items = _run(_tool("icupkg"), "--auto_toc_prefix", "-l", package).split()
    (workdir / "remove.txt").write_text("\n".join(item for item in items if unused(item)) + "\n")
    trimmed.unlink(missing_ok=True)
    _run(_tool("icupkg"), "--auto_toc_prefix", "-r", workdir / "remove.txt", package, trimmed)
    source = workdir / "icudata.S"
    source.write_text(
        "    .section .rodata\n    .balign 16\n"
        f"    .globl {symbol}\n    .type {symbol}, %object\n{symbol}:\n"
        f'    .incbin "{trimmed}"\n    .size {symbol}, . - {symbol}\n'
        '    .section .note.GNU-stack,"",%progbits\n'
    )
    output = workdir / library.name
    _run(_tool("cc"), "-shared", "-nostdlib", f"-Wl,-soname,{library.name}", "-o", output, source)
    return output


if __name__ == "__main__":
    # python installer/trim_icu.py LIBICUDATA WORKDIR: build it alone, print the sizes
    built = trimmed_icu_data(Path(sys.argv[1]), Path(sys.argv[2]))
    print(
        f"{sys.argv[1]}: {Path(sys.argv[1]).stat().st_size / 1e6:.1f} MB -> "
        f"{built}: {built.stat().st_size / 1e6:.1f} MB"
    )
