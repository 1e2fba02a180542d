"""Opening the clinic database: refuse what we cannot read, back up, migrate, seed.

This is the single place where the engine and the session factory are built; everything
else receives the `Database` explicitly.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from app.services.audit import record_event
from app.services.catalogue import seed_catalogue
from app.services.settings import TIMEZONE_KEY as TIMEZONE_KEY  # the zone is a setting, read on opening
from app.services.settings import load_clinic_timezone
from app.services.summary import ensure_recall_summary
from app.storage.config import describe
from app.storage.files import backup_path, check_output_file, private_partial, publish
from models import database as schema
from models.accounts import SignedInUser
from models.errors import DatabaseError


@dataclass
class Database:
    """The open clinic database and the user acting on it."""

    url: URL
    engine: Engine
    factory: schema.SessionFactory  # factory() reads; factory.begin() writes
    actor: str
    # The clinic's own time zone: it decides the calendar day of a visit (lot expiry, due
    # dates) whichever workstation, server or zone the database is used from.
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    # Called (on the writing thread) when a write must wait for another program's: the
    # command line says so on stderr, the window in its status bar.
    on_write_wait: Callable[[], None] = lambda: None
    # Who signed in (app/services/users.py); None while the clinic has no user accounts,
    # or before anyone signed in. `actor` is then their user name.
    user: SignedInUser | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def read_only(self) -> bool:
        """Opened read-only (a file or folder this user cannot write, or a `?mode=ro` URL)."""
        return schema.is_read_only(self.engine)

    def audited_read(self) -> AbstractContextManager[Session]:
        """A session that reads health information (a chart viewed, exported or printed)
        and writes the audit event of that access in the same transaction: a write, so it
        waits for another program's. A read-only database cannot keep the event: the
        session only reads (the command line says so when it opens one)."""
        if self.read_only:  # never flushed, the event is dropped with the session
            return self.factory(autoflush=False)
        return self.factory.begin()

    @property
    def name(self) -> str:
        return describe(self.url)

    def close(self) -> None:
        self.engine.dispose()


def connect(url: URL, actor: str, on_write_wait: Callable[[], None] | None = None) -> Database:
    """The database as it is, not yet checked or migrated (for `aliquot db ...`)."""
    refuse_empty_file(url)
    database: Database | None = None

    # The engine asks the Database at the time of waiting: the window replaces the callback.
    def waiting() -> None:
        if database is not None:
            database.on_write_wait()

    engine = schema.make_engine(url, on_write_wait=waiting)
    database = Database(url, engine, schema.SessionFactory(engine), actor)
    if on_write_wait is not None:
        database.on_write_wait = on_write_wait
    return database


def refuse_empty_file(url: URL) -> None:
    """SQLite takes an empty file for a new database, so a zero-byte file (a failed copy, a
    truncated download) would silently become an empty clinic."""
    if url.get_backend_name() != "sqlite" or not url.database:
        return
    path = Path(url.database)
    wal = path.with_name(f"{path.name}-wal")  # a database's first pages may be there still
    if path.is_file() and path.stat().st_size == 0 and not (wal.is_file() and wal.stat().st_size):
        raise DatabaseError(
            f"{path} is an empty file (0 bytes), not an Aliquot database; it was left as it is."
            " To start a new clinic, give the name of a file that does not exist yet"
        )


def open_database(url: URL, actor: str, on_write_wait: Callable[[], None] | None = None) -> Database:
    """Open (creating if new) and prepare the database at `url` for clinical work.

    A database from an older Aliquot is backed up beside itself and upgraded; one from
    a newer Aliquot, or one that is not an Aliquot database, is refused and left as it is.
    Opening an up-to-date database only reads: it never waits for another program's write.
    A read-only database is read as it is.
    """
    database = connect(url, actor, on_write_wait)
    engine = database.engine
    try:
        prepare_schema(database)
        database.timezone = load_clinic_timezone(database)
        if not database.read_only:
            seed_catalogue(database.factory, actor)
            ensure_recall_summary(database.factory)
    except sa_exc.DBAPIError as error:
        engine.dispose()
        raise DatabaseError(explain_driver_error(database.name, error)) from None
    except Exception:
        engine.dispose()
        raise
    return database


def explain_driver_error(name: str, error: sa_exc.DBAPIError) -> str:
    text = str(error.orig) if error.orig is not None else str(error)
    text = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    if "file is not a database" in text or "malformed" in text:
        return f"{name} is damaged or is not a database file ({text})"
    if "unable to open database file" in text:
        return f"cannot open {name}: check that the folder exists and can be written to"
    if "readonly database" in text:
        return f"{name} is read-only: nothing was changed; check the permissions of the file and its folder"
    if "database is locked" in text:
        return f"{name} is busy in another program; try again in a moment"
    if isinstance(error, sa_exc.OperationalError) and "connect" in text.casefold():
        return f"cannot reach the database server for {name} ({text})"
    return f"cannot use the database {name}: {text}"


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str
    has_tables: bool

    @property
    def is_new(self) -> bool:
        return self.current is None and not self.has_tables


def schema_status(database: Database) -> SchemaStatus:
    return SchemaStatus(
        current=schema.current_revision(database.engine),
        head=schema.head_revision(),
        has_tables=bool(schema.user_tables(database.engine)),
    )


def refuse_unreadable(database: Database) -> SchemaStatus:
    """Raise DatabaseError for a database this version must not touch."""
    status = schema_status(database)
    if status.current is None and status.has_tables:
        raise DatabaseError(
            f"{database.name} is not an Aliquot database (it holds other tables); it was left as it is"
        )
    if status.current is not None and not schema.is_known_revision(status.current):
        raise DatabaseError(
            f"{database.name} was written by a newer version of Aliquot (schema {status.current});"
            " install that version or newer to open it. The database was left as it is."
        )
    return status


def prepare_schema(database: Database) -> str | None:
    """Bring the schema to this version's head. Returns the backup path, if one was made."""
    status = refuse_unreadable(database)
    if status.current == status.head:
        return None
    if database.read_only:
        raise DatabaseError(
            f"{database.name} is read-only and needs an upgrade to this version's schema"
            f" ({status.current or 'none'} to {status.head}); open it once with write access"
            " to the file and its folder. It was left as it is."
        )
    backup_path = None
    if not status.is_new:
        if not database.is_sqlite:
            raise DatabaseError(
                f"{database.name} needs an upgrade from schema {status.current} to {status.head}."
                " Back up the server (pg_dump), then run: aliquot db upgrade"
            )
        backup_path = str(backup_beside(database, f"before-{status.head}"))
    schema.upgrade(database.engine)
    if not status.is_new:
        with database.factory.begin() as session:
            record_event(
                session,
                database.actor,
                "upgrade",
                "database",
                None,
                from_revision=status.current,
                to_revision=status.head,
                backup=backup_path,
            )
    return backup_path


def upgrade_server(database: Database) -> SchemaStatus:
    """`aliquot db upgrade`: the explicit upgrade, the only one run on PostgreSQL."""
    status = refuse_unreadable(database)
    if status.current != status.head:
        if database.is_sqlite and not status.is_new:
            backup_beside(database, f"before-{status.head}")
        schema.upgrade(database.engine)
        with database.factory.begin() as session:
            record_event(
                session,
                database.actor,
                "upgrade",
                "database",
                None,
                from_revision=status.current,
                to_revision=status.head,
            )
    return schema_status(database)


def backup_beside(database: Database, label: str) -> Path:
    return backup_sqlite(database, backup_path(Path(database.url.database or ""), label))


def backup_sqlite(database: Database, destination: Path) -> Path:
    """A consistent copy of a live SQLite database (the online backup API, WAL included),
    owner-only. It never replaces a file, and never lands on another database's files."""
    if not database.is_sqlite:
        raise DatabaseError(
            "backups of a PostgreSQL database are taken on the server (pg_dump), not by Aliquot"
        )
    destination = destination.expanduser().resolve()
    if os.path.lexists(destination):
        raise DatabaseError(f"{destination} already exists; choose another backup file name")
    if not destination.parent.is_dir():
        raise DatabaseError(f"cannot write the backup: folder {destination.parent} does not exist")
    check_output_file(destination)
    # Written under a temporary name beside the destination and read back; only a whole,
    # checked copy takes the chosen name. A failure (disk full, drive pulled) leaves nothing,
    # and a killed backup's temporary copy is removed by the next one (files.private_partial).
    try:
        with private_partial(destination) as partial:
            raw = database.engine.raw_connection()
            try:
                target = sqlite3.connect(partial)
                try:
                    driver = raw.driver_connection
                    assert driver is not None  # a pooled connection is open
                    driver.backup(target)
                finally:
                    target.close()
            finally:
                raw.close()
            checker = sqlite3.connect(f"{partial.as_uri()}?mode=ro", uri=True)  # read from disk anew
            try:
                verdict = checker.execute("PRAGMA quick_check").fetchone()[0]
            finally:
                checker.close()
            if verdict != "ok":
                raise DatabaseError(f"the backup did not read back whole ({verdict}); nothing was kept")
            publish(partial, destination, replace=False)
    except FileExistsError:  # appeared meanwhile
        raise DatabaseError(f"{destination} already exists; choose another backup file name") from None
    except (sqlite3.Error, OSError) as error:
        raise DatabaseError(f"cannot write the backup to {destination}: {error}; nothing was kept") from None
    return destination


@dataclass(frozen=True)
class IntegrityReport:
    ok: bool
    revision: str | None
    head: str
    problems: list[str]


def check_integrity(database: Database) -> IntegrityReport:
    """`aliquot db check`: SQLite's full integrity and foreign-key checks, and the schema revision."""
    problems: list[str] = []
    with database.engine.connect() as connection:
        if database.is_sqlite:
            rows = connection.exec_driver_sql("PRAGMA integrity_check").scalars().all()
            problems += [r for r in rows if r != "ok"]
            for table, rowid, parent, _ in connection.exec_driver_sql("PRAGMA foreign_key_check"):
                problems.append(f"{table} row {rowid} points to a missing {parent}")
        else:  # PostgreSQL checks pages itself; look for constraints left unchecked
            for table, name in connection.exec_driver_sql(
                "SELECT conrelid::regclass::text, conname FROM pg_constraint"
                " WHERE NOT convalidated AND connamespace = 'public'::regnamespace"
            ):
                problems.append(f"constraint {name} on {table} is not validated")
    status = schema_status(database)
    if status.current is not None and not schema.is_known_revision(status.current):
        problems.append(f"schema {status.current} was written by a newer version of Aliquot")
    return IntegrityReport(not problems, status.current, status.head, problems)
