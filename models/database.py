"""Engines and schema migrations (Alembic) for SQLite and PostgreSQL.

Only this module knows how a connection is tuned and where the migration scripts live;
the decision of when to back up and upgrade belongs to app.storage.database.

Opening an up-to-date database does not import Alembic (a third of a second): the
revisions are read from the `revision = "..."` lines of the migration scripts and from the
alembic_version table; Alembic itself is loaded only to migrate.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from models import search_index
from models.errors import DatabaseError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_S = 15  # what any statement waits for a lock before failing
WRITE_NOTICE_AFTER_S = 2  # a write still waiting for another program's after this says so...
WRITE_WAIT_S = 30 * 60  # ...and waits this much longer (a long import) before giving up
WRITES = "aliquot_writes"  # execution option: the transaction writes (SQLite: BEGIN IMMEDIATE)


def make_engine(url: str | URL, on_write_wait: Callable[[], None] = lambda: None) -> Engine:
    """An engine for a database URL. Every SQLite connection enforces foreign keys,
    writes ahead (WAL) with full fsync, and waits for a busy database instead of failing.

    A reading transaction never takes SQLite's write lock: in WAL mode it reads beside a
    writer without waiting. A writing one (see `writer`) takes the lock up front and, when
    another program holds it, calls `on_write_wait` and waits up to WRITE_WAIT_S.

    A database this process cannot write (file, folder, or a `?mode=ro` URL) is opened
    read-only; see `is_read_only`."""
    url = make_url(url)
    try:
        if url.get_backend_name() != "sqlite":
            return create_engine(url, pool_pre_ping=True)
        connect_url, read_only = _sqlite_connect_url(url)
        engine = create_engine(connect_url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    except sa_exc.NoSuchModuleError:
        raise DatabaseError(
            f"{url.drivername!r} is not a database Aliquot can use: give a file path,"
            " or a postgresql+psycopg:// URL"
        ) from None
    except ModuleNotFoundError as error:
        raise DatabaseError(
            f"the driver for {url.get_backend_name()} is not installed ({error.name});"
            " install Aliquot with its postgres extra: pip install 'aliquot[postgres]'"
        ) from None

    @event.listens_for(engine, "connect")
    def _tune_sqlite(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so
        # that DDL (migrations) is transactional too (SQLAlchemy docs, "pysqlite
        # serializable isolation / savepoints / transactional DDL").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            if not read_only:  # a read-only file keeps the journal mode it has
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute(f"PRAGMA busy_timeout={_milliseconds(SQLITE_BUSY_TIMEOUT_S)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        if not connection.get_execution_options().get(WRITES):
            connection.exec_driver_sql("BEGIN")  # a snapshot: no lock taken, none waited for
            return
        # IMMEDIATE takes the write lock up front, so a second writer waits (busy
        # timeout) instead of failing at once with "database is locked" when a read
        # transaction tries to become a write one in WAL mode.
        try:
            _set_busy_timeout(connection, WRITE_NOTICE_AFTER_S)
            try:
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            except sa_exc.OperationalError as error:
                if getattr(error.orig, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY:
                    raise
                on_write_wait()
                _set_busy_timeout(connection, WRITE_WAIT_S)
                connection.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            _set_busy_timeout(connection, SQLITE_BUSY_TIMEOUT_S)

    return engine


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


def _set_busy_timeout(connection: Connection, seconds: float) -> None:
    sqlite_pragma(connection, f"busy_timeout={_milliseconds(seconds)}")


def sqlite_pragma(connection: Connection, pragma: str) -> None:
    """A PRAGMA on the driver's own connection: it neither begins nor joins a transaction
    of SQLAlchemy's (the migrations pause foreign keys outside theirs)."""
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None, "a connection in use is checked out"
    driver_connection.execute(f"PRAGMA {pragma}")


def _sqlite_connect_url(url: URL) -> tuple[URL, bool]:
    """The URL the driver opens, and whether it opens the file read-only.

    SQLite in WAL mode needs its -shm and -wal files beside the database. In a folder this
    process cannot write they cannot be created; when no -wal exists (the last program to
    close the database folded it in), the file is complete and is read as immutable."""
    path = url.database or ""
    if path in ("", ":memory:") or path.startswith("file:"):
        return url, url.query.get("mode") == "ro"
    folder = os.path.dirname(os.path.abspath(path))
    exists = os.path.exists(path)
    read_only = url.query.get("mode") == "ro" or (
        exists and not (os.access(path, os.W_OK) and os.access(folder, os.W_OK))
    )
    if not read_only:
        return url, False
    query = {"mode": "ro", "uri": "true"}
    if not os.access(folder, os.W_OK) and not os.path.exists(f"{path}-wal"):
        query["immutable"] = "1"
    return url.set(database=Path(path).absolute().as_uri(), query=query), True


def is_read_only(engine: Engine) -> bool:
    """Whether `make_engine` opened this SQLite database read-only."""
    return engine.url.get_backend_name() == "sqlite" and engine.url.query.get("mode") == "ro"


def writer(engine: Engine) -> Engine:
    """The same engine and pool, for transactions that write."""
    return engine.execution_options(**{WRITES: True})


class SessionFactory(sessionmaker[Session]):
    """`factory()` is a session that reads, `factory.begin()` one transaction that writes.

    On SQLite a reading session never takes the write lock, so it neither waits for nor
    stops another program's writing (WAL); a writing one takes the lock up front."""

    def __init__(self, engine: Engine):
        super().__init__(engine, expire_on_commit=False)
        self._writer = writer(engine)

    @contextmanager
    def begin(self) -> Iterator[Session]:
        with self(bind=self._writer) as session, session.begin():
            yield session


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def migration_context(connection: Connection) -> MigrationContext:
    """Alembic's view of a database, leaving the search index (not in the models) aside."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection, opts={"include_name": search_index.include_name})


_REVISION_LINE = re.compile(r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:["']([^"']*)["']|None)""", re.M)


def script_revisions() -> dict[str, str | None]:
    """Each migration script's revision and the one it follows, read from its
    `revision = "..."` and `down_revision = "..."` lines (tests check this against Alembic)."""
    revisions: dict[str, str | None] = {}
    for script in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found = dict(
            (key, value or None) for key, value in _REVISION_LINE.findall(script.read_text(encoding="utf-8"))
        )
        if found.get("revision"):
            revisions[str(found["revision"])] = found.get("down_revision")
    return revisions


def head_revision() -> str:
    revisions = script_revisions()
    heads = set(revisions) - {down for down in revisions.values() if down}
    assert len(heads) == 1, f"the migrations folder has {len(heads)} heads, not one"
    return heads.pop()


def is_known_revision(revision: str) -> bool:
    """Whether this version of the program has a migration script with that revision."""
    return revision in script_revisions()


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database was migrated to (None: never migrated)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        revisions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    if len(revisions) > 1:
        raise DatabaseError(f"the database records several schema revisions: {', '.join(revisions)}")
    return revisions[0] if revisions else None


def user_tables(engine: Engine) -> list[str]:
    return [
        t
        for t in inspect(engine).get_table_names()
        if t != "alembic_version" and not search_index.is_index_object(t)
    ]


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(writer(engine)), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(writer(engine)), revision)
