"""The error log: every unexpected error of the window, with its traceback, kept in one
file in the user's log folder. A clinic workstation rarely has a terminal open, so a
traceback printed there would be lost; support asks for this file instead.

Tracebacks can hold patient names: the folder is the owner's only (0700), and so is the
file (0600), rotated copies included.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

import platformdirs

from app.storage.config import APP_NAME

LOG_NAME = "aliquot.log"
MAX_BYTES = 1_000_000
KEPT_FILES = 3  # aliquot.log.1 .. .3: a few weeks of errors, never a full disk


def default_log_dir() -> Path:
    """~/.local/state/Aliquot/log on Linux, ~/Library/Logs/Aliquot on macOS, the local
    application data folder on Windows."""
    return platformdirs.user_log_path(APP_NAME, appauthor=False)


class _PrivateLogHandler(RotatingFileHandler):
    def _open(self) -> io.TextIOWrapper:
        stream = open(  # noqa: SIM115 - the handler keeps the stream open and closes it
            self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors, opener=_private_opener
        )
        assert isinstance(stream, io.TextIOWrapper)  # a text mode: the handler writes lines
        return stream


def _private_opener(path: str, flags: int) -> int:
    descriptor = os.open(path, flags, 0o600)
    if sys.platform != "win32":
        os.fchmod(descriptor, 0o600)  # a file made before, by another program or umask
    return descriptor


def open_error_log(folder: Path | None = None) -> Path:
    """From now on, warnings and errors of every module (with their tracebacks) go to the
    error log; returns the file's path. Opening it again replaces the earlier handler."""
    folder = folder or default_log_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if sys.platform != "win32":
        folder.chmod(0o700)
    path = folder / LOG_NAME
    handler = _PrivateLogHandler(path, maxBytes=MAX_BYTES, backupCount=KEPT_FILES, encoding="utf-8")
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    close_error_log()
    logging.getLogger().addHandler(handler)
    return path


def close_error_log() -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _PrivateLogHandler)]:
        root.removeHandler(handler)
        handler.close()
