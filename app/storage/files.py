"""Files Aliquot writes for the user: exports, records, recall lists, chart images, backups,
recovery files. Each holds patient data, so each one:

- never lands on a database: not on any SQLite file (whatever its name) nor on the
  -wal/-shm/-journal file beside one;
- replaces an existing file only when the user said so (`--force`; the window's save dialog
  asks before it returns an existing file);
- is written whole or not at all: a private temporary file beside it, flushed to the disk,
  then renamed; a failure (disk full, drive pulled) leaves the old file as it was;
- is readable by its owner only (0600; folders we create 0700).

A temporary file left by a killed process is removed by the next write into its folder
and when Aliquot next opens a database in that folder.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import re
import secrets
import stat
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from models.errors import AliquotError

SQLITE_HEADER = b"SQLite format 3\x00"
DATABASE_COMPANIONS = ("-wal", "-shm", "-journal")
PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700
# Ours: ".NAME.PID.TOKEN.partial" (".NAME.PID.partial" from older versions), and the
# -wal/-shm/-journal SQLite makes beside a backup's temporary copy.
_PARTIAL = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d{1,10})(\.[0-9a-f]{8})?\.partial(-wal|-shm|-journal)?")


def suggested_file_name(*parts: str, suffix: str) -> str:
    """A file name offered in a save dialog, made from a chart number, a date…: anything but
    letters, digits, '-', '_' and '.' becomes '-', so an old chart number such as 2024/17
    never names a folder."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(parts)).strip(".-") or "aliquot"
    return stem + suffix


def backup_path(database_file: Path, label: str = "backup", moment: datetime | None = None) -> Path:
    """Where a copy of a database goes unless the user says otherwise: beside it, named by
    what it is for and when (clinic.backup.20250110-103000.db, clinic.before-0007.…)."""
    stamp = (moment or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return database_file.with_name(f"{database_file.stem}.{label}.{stamp}{database_file.suffix}")


def restrict_new_files() -> None:
    """Owner-only for every file this process creates, including those it does not write
    itself: SQLite's database, -wal and -shm, a log. (Our own files are private anyway.)"""
    os.umask(0o077)


def is_database(path: Path) -> bool:
    """Whether `path` is an SQLite database, by its content (any name, any link to it)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a pipe would block the read
            return False
        with open(path, "rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except (FileNotFoundError, NotADirectoryError):
        return False


def _database_beside(path: Path) -> Path | None:
    """The database whose -wal/-shm/-journal file `path` would be, if there is one."""
    for companion in DATABASE_COMPANIONS:
        if path.name.endswith(companion):
            main = path.with_name(path.name[: -len(companion)])
            if is_database(main):
                return main
    return None


def _exists_message(path: Path) -> str:
    return f"{path} already exists and was left as it is; to replace it, add --force"


def check_output_file(
    path: Path, suffix: str | None = None, kind: str = "", *, replace: bool = False
) -> Path:
    """The one check of every output path, before any work and again when writing.
    Returns the file to write (links followed). Raises AliquotError: nothing was written."""
    if suffix is not None and path.suffix.lower() != suffix:
        raise AliquotError(f"{path}: {kind}; name the file *{suffix}")
    target = path.expanduser().resolve()
    if target.is_dir():
        raise AliquotError(f"{path} is a folder; give a file name inside it")
    if not target.parent.is_dir():
        raise AliquotError(f"cannot write {path}: its folder does not exist")
    never = "Aliquot never writes over a database; choose another file name"
    try:
        main = _database_beside(target)
        exists = os.path.lexists(target)
        ordinary = exists and stat.S_ISREG(os.stat(target).st_mode)
        database = ordinary and is_database(target)
    except OSError as error:  # unreadable: it could be a database, so it is not touched
        raise AliquotError(
            f"cannot check {path} before writing ({error.strerror or error}); nothing was written"
        ) from None
    if main is not None:
        raise AliquotError(f"{path} belongs to the database {main}: {never}")
    if not exists:
        return target
    if not ordinary:  # a device or a pipe: opening it could block, replacing it could break the system
        raise AliquotError(f"{path} is not an ordinary file; choose another file name")
    if database:
        raise AliquotError(f"{path} is a database: {never}")
    if not replace:
        raise AliquotError(_exists_message(path))
    return target


def make_private_folder(folder: Path) -> None:
    """Create `folder` and its missing parents, owner-only; existing folders are left as they are."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile by another program
            created.mkdir(mode=PRIVATE_FOLDER)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill would end the process there
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except (OverflowError, ValueError):
        return False
    return True


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove our temporary files in `folder` whose writer has died (killed, power cut):
    each may be a whole copy of the clinic's records. Another program's are kept."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        found = _PARTIAL.fullmatch(entry.name)
        if found is None or _process_alive(int(found["pid"])):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:  # gone already, or not ours to remove
            pass
    return removed


@contextmanager
def private_partial(target: Path) -> Iterator[Path]:
    """A new, empty, owner-only temporary file beside `target`, named so that a later run can
    tell it is ours and whether its writer is alive; removed (with any SQLite companions) on exit."""
    folder = target.parent
    remove_stale_partials(folder)
    partial = folder / f".{target.name[:120]}.{os.getpid()}.{secrets.token_hex(4)}.partial"
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    try:
        yield partial
    finally:
        for leftover in ("", *DATABASE_COMPANIONS):
            Path(f"{partial}{leftover}").unlink(missing_ok=True)


def publish(partial: Path, target: Path, replace: bool) -> None:
    """Give a finished temporary file its name. Without `replace` it never takes the name of
    a file that exists, even one that appeared meanwhile (FileExistsError)."""
    if replace:
        os.replace(partial, target)
    else:
        try:
            os.link(partial, target)  # fails if the name exists: no race
        except FileExistsError:
            raise
        except OSError:  # a drive without hard links (FAT, exFAT, some network shares)
            if os.path.lexists(target):
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target)) from None
            os.replace(partial, target)
    _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """Make the new name itself survive a power cut (POSIX; Windows has no folder handles)."""
    if sys.platform == "win32":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    except OSError:  # some file systems cannot sync a folder; the file itself is synced
        pass
    finally:
        os.close(handle)


def write_atomically_bytes(path: Path, data: bytes, *, replace: bool = False) -> Path:
    """Write `data` to `path` whole or not at all, owner-only. Refused (AliquotError, nothing
    written, any old file intact) by `check_output_file`, or when the disk fails."""
    target = check_output_file(path, replace=replace)  # again: the file may have appeared meanwhile
    try:
        with private_partial(target) as partial:
            with open(partial, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            publish(partial, target, replace)
    except FileExistsError:
        raise AliquotError(_exists_message(path)) from None
    except OSError as error:  # the message names the user's file, never the temporary one
        raise AliquotError(f"cannot write {path}: {error.strerror or error}; nothing was written") from None
    return target


def write_atomically(path: Path, text: str, *, replace: bool = False) -> Path:
    return write_atomically_bytes(path, text.encode("utf-8"), replace=replace)


# Spreadsheets run a cell that starts with one of these as a formula (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """A text cell a spreadsheet shows as text: a leading formula character gets a `'`.
    Numbers stay numbers (no column of ours holds a negative one)."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file for spreadsheets: formula-safe cells, UTF-8 with a byte-order mark so that
    Excel on Windows shows Zoë and 李 as they are."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180; a CR inside a cell is then quoted
    writer.writerow([spreadsheet_cell(name) for name in header])
    for row in rows:
        writer.writerow([spreadsheet_cell(value) for value in row])
    return out.getvalue().encode("utf-8-sig")
