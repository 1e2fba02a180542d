"""The index behind patient search: it finds the patients whose search key contains a
typed word in time that grows with the matches, not with the clinic.

SQLite: an FTS5 table with the trigram tokenizer over `patient.search_key`
(external content: it stores the trigrams, the patient table keeps the text), kept up to
date by triggers on the patient table's inserts, updates and deletes.
PostgreSQL: a pg_trgm GIN index on `patient.search_key`, used by the LIKE search itself;
where the server does not allow the extension, there is no index and search scans.

A trigram index answers words of 3 characters or more; shorter words are matched by the
scan. The index only narrows the candidates: the search still applies its LIKE to them,
so the results are the scan's, row for row.

Alembic's batch mode rebuilds a table by copying it (models/migrations/env.py); on SQLite
that drops the triggers of the copied table, so every migration ends with
`ensure_sqlite_triggers`, which puts them back and rebuilds the index if they were gone.
"""

from __future__ import annotations

from sqlalchemy import Connection

MIN_WORD = 3  # a trigram index cannot answer a shorter word
FTS_TABLE = "patient_search"
PG_INDEX = "ix_patient_search_key_trgm"
TRIGGERS = {
    "patient_search_insert": (
        "AFTER INSERT ON patient BEGIN"
        f" INSERT INTO {FTS_TABLE}(rowid, search_key) VALUES (new.id, new.search_key); END"
    ),
    "patient_search_delete": (
        "AFTER DELETE ON patient BEGIN"
        f" INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_key)"
        " VALUES ('delete', old.id, old.search_key); END"
    ),
    "patient_search_update": (
        "AFTER UPDATE OF id, search_key ON patient BEGIN"
        f" INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_key)"
        " VALUES ('delete', old.id, old.search_key);"
        f" INSERT INTO {FTS_TABLE}(rowid, search_key) VALUES (new.id, new.search_key); END"
    ),
}


def is_index_object(name: str | None) -> bool:
    """Whether a table or index belongs to the search index (not to models/tables.py):
    the FTS table, its shadow tables, the PostgreSQL trigram index."""
    return name is not None and (name in (PG_INDEX, FTS_TABLE) or name.startswith(f"{FTS_TABLE}_"))


def sqlite_has_trigram(connection: Connection) -> bool:
    """FTS5's trigram tokenizer came with SQLite 3.34."""
    import sqlite3

    return sqlite3.sqlite_version_info >= (3, 34, 0)


def create(connection: Connection) -> None:
    """Build the index for the patients already there (migration 0008)."""
    if connection.dialect.name == "sqlite":
        if not sqlite_has_trigram(connection):
            return
        connection.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(search_key, content='patient',"
            " content_rowid='id', tokenize='trigram')"
        )
        ensure_sqlite_triggers(connection)
        return
    if connection.dialect.name == "postgresql":
        savepoint = connection.begin_nested()
        try:
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception:  # not permitted on this server: search scans, as before
            savepoint.rollback()
            return
        savepoint.commit()
        connection.exec_driver_sql(f"CREATE INDEX {PG_INDEX} ON patient USING gin (search_key gin_trgm_ops)")


def drop(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for name in TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {PG_INDEX}")


def sqlite_index_exists(connection: Connection) -> bool:
    return (
        connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_TABLE,)
        ).first()
        is not None
    )


def ensure_sqlite_triggers(connection: Connection) -> None:
    """The triggers that keep the index up to date; when any was missing (a new index, or
    the patient table rebuilt by a migration), the index is rebuilt from the patients."""
    if not sqlite_index_exists(connection):
        return
    present = {
        row[0]
        for row in connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'patient'"
        )
    }
    missing = [name for name in TRIGGERS if name not in present]
    if not missing:
        return
    for name in missing:
        connection.exec_driver_sql(f"CREATE TRIGGER {name} {TRIGGERS[name]}")
    connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def match_phrase(word: str) -> str:
    """An FTS5 query for one word taken literally (a phrase: quotes doubled), which the
    trigram tokenizer matches anywhere inside the text."""
    return '"' + word.replace('"', '""') + '"'


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's `include_name` filter: autogenerate and compare_metadata leave the
    search index alone."""
    return not (type_ in ("table", "index") and is_index_object(name))
