"""Engines and schema migrations (Alembic) for SQLite and PostgreSQL.

Only this module knows how a connection is tuned and where the migration scripts live;
the decision of when to back up and upgrade belongs to app.database.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url

from models.errors import DatabaseError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_S = 15


def make_engine(url: str | URL) -> Engine:
    """An engine for a database URL. Every SQLite connection enforces foreign keys,
    writes ahead (WAL) with full fsync, and waits for a busy database instead of failing."""
    url = make_url(url)
    try:
        if url.get_backend_name() != "sqlite":
            return create_engine(url, pool_pre_ping=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    except sa_exc.NoSuchModuleError:
        raise DatabaseError(
            f"{url.drivername!r} is not a database Aliquot can use: give a file path,"
            " or a postgresql+psycopg:// URL") from None
    except ModuleNotFoundError as error:
        raise DatabaseError(
            f"the driver for {url.get_backend_name()} is not installed ({error.name});"
            " install Aliquot with its postgres extra: pip install 'aliquot[postgres]'") from None

    @event.listens_for(engine, "connect")
    def _tune_sqlite(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin, so
        # that DDL (migrations) is transactional too (SQLAlchemy docs, "pysqlite
        # serializable isolation / savepoints / transactional DDL").
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        # IMMEDIATE takes the write lock up front, so a second writer waits (busy
        # timeout) instead of failing at once with "database is locked" when a read
        # transaction tries to become a write one in WAL mode.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def is_known_revision(revision: str) -> bool:
    """Whether this version of the program has a migration script with that revision."""
    return any(script.revision == revision for script in script_directory().walk_revisions())


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def user_tables(engine: Engine) -> list[str]:
    return [t for t in inspect(engine).get_table_names() if t != "alembic_version"]


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)
