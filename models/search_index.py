"""The index behind patient search: it finds the patients whose search key contains a
typed word in time that grows with the matches, not with the clinic.

SQLite: `patient_search_trigram` holds, for each patient, every 3-character piece
(trigram) of `patient.search_key` beside the key itself, ordered by (trigram, search key,
patient id). A search reads the entries of one trigram of the typed words (the rarest) in
search-key order and stops at the first page of patients whose key holds every word: a
common name ("garcia") stops after a page, a rare one reads its few entries. Triggers on
the patient table keep it up to date (`patient_search_position` numbers the characters
of a key, as a trigger cannot loop). An FTS5 trigram table finds the same candidates but
returns them in id order, so a common name would have to read and sort all its matches.
PostgreSQL: a pg_trgm GIN index on `patient.search_key`, used by the LIKE search itself;
where the server does not allow the extension, there is no index and search scans.

A trigram index answers words of 3 characters or more; shorter words are matched by the
scan. The index only narrows the candidates: the search still applies its LIKE to them,
so the results are the scan's, row for row. (SQLite's LIKE ignores the case of ASCII
letters, so the trigrams are stored and looked up with ASCII letters in lower case.)

Alembic's batch mode rebuilds a table by copying it (models/migrations/env.py); on SQLite
that drops the triggers of the copied table, so every migration ends with
`ensure_sqlite_triggers`, which puts them back and rebuilds the index if they were gone.
"""

from __future__ import annotations

from sqlalchemy import Connection

MIN_WORD = 3  # a trigram index cannot answer a shorter word
TRIGRAM_TABLE = "patient_search_trigram"
POSITION_TABLE = "patient_search_position"
MAX_KEY_LENGTH = 400  # patient.search_key's width
PG_INDEX = "ix_patient_search_key_trgm"

_PIECES = (
    f"SELECT lower(substr({{key}}, n, 3)), {{key}}, {{id}} FROM {POSITION_TABLE}"
    f" WHERE n <= length({{key}}) - 2"
)
_ADD = f"INSERT OR IGNORE INTO {TRIGRAM_TABLE} (trigram, search_key, patient_id) " + _PIECES.format(
    key="new.search_key", id="new.id"
)
_REMOVE = (
    f"DELETE FROM {TRIGRAM_TABLE} WHERE (trigram, search_key, patient_id) IN ("
    + _PIECES.format(key="old.search_key", id="old.id")
    + ")"
)
TRIGGERS = {
    "patient_search_insert": f"AFTER INSERT ON patient BEGIN {_ADD}; END",
    "patient_search_delete": f"AFTER DELETE ON patient BEGIN {_REMOVE}; END",
    "patient_search_update": f"AFTER UPDATE OF id, search_key ON patient BEGIN {_REMOVE}; {_ADD}; END",
}


def is_index_object(name: str | None) -> bool:
    """Whether a table or index belongs to the search index (not to models/tables.py)."""
    return name is not None and (name == PG_INDEX or name.startswith("patient_search_"))


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Alembic's `include_name` filter: autogenerate and compare_metadata leave the
    search index alone."""
    return not (type_ in ("table", "index") and is_index_object(name))


def create(connection: Connection) -> None:
    """Build the index for the patients already there (migration 0008)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"CREATE TABLE {POSITION_TABLE} (n INTEGER PRIMARY KEY)")
        connection.exec_driver_sql(
            f"INSERT INTO {POSITION_TABLE} (n) VALUES "
            + ", ".join(f"({n})" for n in range(1, MAX_KEY_LENGTH + 1))
        )
        connection.exec_driver_sql(
            f"CREATE TABLE {TRIGRAM_TABLE} (trigram TEXT NOT NULL, search_key TEXT NOT NULL,"
            " patient_id INTEGER NOT NULL, PRIMARY KEY (trigram, search_key, patient_id)) WITHOUT ROWID"
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
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {TRIGRAM_TABLE}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {POSITION_TABLE}")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {PG_INDEX}")


def sqlite_index_exists(connection: Connection) -> bool:
    return (
        connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TRIGRAM_TABLE,)
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
    connection.exec_driver_sql(f"DELETE FROM {TRIGRAM_TABLE}")
    connection.exec_driver_sql(
        f"INSERT OR IGNORE INTO {TRIGRAM_TABLE} (trigram, search_key, patient_id)"
        " SELECT lower(substr(patient.search_key, n, 3)), patient.search_key, patient.id"
        f" FROM patient JOIN {POSITION_TABLE} ON n <= length(patient.search_key) - 2"
    )


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def trigrams(word: str) -> list[str]:
    """The word's 3-character pieces as the index holds them (ASCII letters in lower case,
    as SQLite's lower() and LIKE treat them), each once, in order."""
    lowered = word.translate(_ASCII_LOWER)
    return list(dict.fromkeys(lowered[i : i + 3] for i in range(len(lowered) - 2)))
