"""Where the clinic database lives and who is at the keyboard."""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from app.storage.files import make_private_folder
from models.errors import DatabaseError

if TYPE_CHECKING:  # SQLAlchemy is loaded when a database is chosen, not for `aliquot --help`
    from sqlalchemy.engine import URL

APP_NAME = "Aliquot"
DB_ENV_VAR = "ALIQUOT_DB"


def default_database_path() -> Path:
    """The workstation's own clinic database, in the user's data directory."""
    import platformdirs

    return platformdirs.user_data_path(APP_NAME, appauthor=False) / "aliquot.db"


def database_url(given: str | None = None, environ: Mapping[str, str] | None = None) -> URL:
    """The database to open: `--db`, else $ALIQUOT_DB, else the default file.

    Each may be a file path or an SQLAlchemy URL (postgresql+psycopg://host/clinic).
    """
    from sqlalchemy.engine import URL, make_url
    from sqlalchemy.exc import ArgumentError

    environ = os.environ if environ is None else environ
    chosen = given or environ.get(DB_ENV_VAR) or ""
    if not chosen:
        path = default_database_path()
        make_private_folder(path.parent)  # the clinic's records live there
        return URL.create("sqlite", database=str(path))
    if "://" in chosen:
        try:
            return make_url(chosen)
        except ArgumentError:
            raise DatabaseError(f"{chosen!r} is neither a file path nor a database URL") from None
    path = Path(chosen).expanduser().resolve()
    if not path.parent.is_dir():
        raise DatabaseError(f"cannot create the database {path}: folder {path.parent} does not exist")
    if path.is_dir():
        raise DatabaseError(f"{path} is a folder; give the path of a database file")
    return URL.create("sqlite", database=str(path))


def describe(url: URL) -> str:
    """The database as a person would name it: a file path, or a URL without password."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return url.render_as_string(hide_password=True)


def current_actor() -> str:
    """Who is recorded in the audit trail: the signed-in OS user at this workstation."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in the environment (some service accounts)
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def workstation() -> str:
    """The computer an audit event comes from."""
    return socket.gethostname()


def app_version() -> str:
    """The installed version of Aliquot (looked up only when asked: a scan of the installed
    packages), printed by `--version` and written into every PDF's metadata."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aliquot")
    except PackageNotFoundError:
        return "development"
