"""Files Aliquot writes for the user (exports, records, backups' companions): checked before
any work, written whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from models.errors import AliquotError


def check_output_file(path: Path, suffix: str | None = None, kind: str = "") -> None:
    """Refuse an output path before any work: a folder, a missing folder, a wrong suffix."""
    if suffix is not None and path.suffix.lower() != suffix:
        raise AliquotError(f"{path}: {kind}; name the file *{suffix}")
    if path.is_dir():
        raise AliquotError(f"{path} is a folder; give a file name inside it")
    if not path.resolve().parent.is_dir():
        raise AliquotError(f"cannot write {path}: its folder does not exist")


def write_atomically_bytes(path: Path, data: bytes) -> None:
    """Write beside the target and rename, so a failure never leaves a half-written file;
    the temporary file (patient data) is removed whatever happens."""
    handle = None
    try:
        handle = tempfile.NamedTemporaryFile("wb", dir=path.resolve().parent, prefix=f".{path.name}.",
                                             suffix=".partial", delete=False)
        with handle:
            handle.write(data)
        os.replace(handle.name, path)
    except OSError as error:  # the message names the user's file, never the temporary one
        raise AliquotError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        if handle is not None and os.path.exists(handle.name):
            os.unlink(handle.name)


def write_atomically(path: Path, text: str) -> None:
    write_atomically_bytes(path, text.encode("utf-8"))
