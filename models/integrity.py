"""Locks held by the database itself, whatever program writes to it.

A signed visit's rows (the visit, its injection points, the lots they name) and the
audit trail (events, co-signatures) can be inserted but never updated or deleted: the
triggers below refuse it on SQLite and PostgreSQL alike, so `sqlite3 clinic.db "update
injection_point …"` fails instead of changing a signed record. Someone able to drop a
trigger can still change rows; `aliquot audit verify` then names the visit or event
(app/services/trail.py), because signed content and every event are in the hash chain.

Migrations run with the triggers dropped (a table rebuilt by Alembic's batch mode copies
its rows) and put them back at the end (models/migrations/env.py).
"""

from __future__ import annotations

from sqlalchemy import Connection

LOCKED_VISIT = "a signed visit is locked: record a correction as an amendment"
LOCKED_TRAIL = "the audit trail can be added to, never changed"
LOCKED_PHOTO = "a stored photo is kept as it was taken: it can be added, never changed"

_SIGNED = "(SELECT status FROM visit WHERE id = {}) = 'signed'"
_LOT_OF_SIGNED = (
    "EXISTS (SELECT 1 FROM injection_point p JOIN visit v ON v.id = p.visit_id"
    " WHERE p.lot_id = OLD.id AND v.status = 'signed')"
)
_LOT_CHANGED = (
    "(NEW.number IS NOT OLD.number OR NEW.expiry IS NOT OLD.expiry OR NEW.product_id IS NOT OLD.product_id)"
)

# name: (timing and table, condition or None, message)
SQLITE_TRIGGERS: dict[str, tuple[str, str | None, str]] = {
    "lock_signed_visit_update": ("BEFORE UPDATE ON visit", "OLD.status = 'signed'", LOCKED_VISIT),
    "lock_signed_visit_delete": ("BEFORE DELETE ON visit", "OLD.status = 'signed'", LOCKED_VISIT),
    "lock_signed_point_insert": (
        "BEFORE INSERT ON injection_point",
        _SIGNED.format("NEW.visit_id"),
        LOCKED_VISIT,
    ),
    "lock_signed_point_update": (
        "BEFORE UPDATE ON injection_point",
        f"{_SIGNED.format('OLD.visit_id')} OR {_SIGNED.format('NEW.visit_id')}",
        LOCKED_VISIT,
    ),
    "lock_signed_point_delete": (
        "BEFORE DELETE ON injection_point",
        _SIGNED.format("OLD.visit_id"),
        LOCKED_VISIT,
    ),
    "lock_signed_lot_update": ("BEFORE UPDATE ON lot", f"{_LOT_CHANGED} AND {_LOT_OF_SIGNED}", LOCKED_VISIT),
    "lock_audit_update": ("BEFORE UPDATE ON audit_event", None, LOCKED_TRAIL),
    "lock_audit_delete": ("BEFORE DELETE ON audit_event", None, LOCKED_TRAIL),
    "lock_cosign_update": ("BEFORE UPDATE ON visit_cosign", None, LOCKED_TRAIL),
    "lock_cosign_delete": ("BEFORE DELETE ON visit_cosign", None, LOCKED_TRAIL),
    "lock_signed_photo_insert": ("BEFORE INSERT ON photo", _SIGNED.format("NEW.visit_id"), LOCKED_VISIT),
    "lock_signed_photo_update": (
        "BEFORE UPDATE ON photo",
        f"{_SIGNED.format('OLD.visit_id')} OR {_SIGNED.format('NEW.visit_id')}",
        LOCKED_VISIT,
    ),
    "lock_signed_photo_delete": ("BEFORE DELETE ON photo", _SIGNED.format("OLD.visit_id"), LOCKED_VISIT),
    "lock_photo_image_update": ("BEFORE UPDATE ON photo_image", None, LOCKED_PHOTO),
    "lock_photo_image_delete": ("BEFORE DELETE ON photo_image", None, LOCKED_PHOTO),
}

_PG_FUNCTIONS = {
    "aliquot_lock_signed_visit": f"""
        IF OLD.status = 'signed' THEN RAISE EXCEPTION '{LOCKED_VISIT}'; END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;""",
    "aliquot_lock_signed_point": f"""
        IF TG_OP <> 'INSERT' AND {_SIGNED.format("OLD.visit_id")} THEN
            RAISE EXCEPTION '{LOCKED_VISIT}';
        END IF;
        IF TG_OP <> 'DELETE' AND {_SIGNED.format("NEW.visit_id")} THEN
            RAISE EXCEPTION '{LOCKED_VISIT}';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;""",
    "aliquot_lock_signed_lot": f"""
        IF (NEW.number IS DISTINCT FROM OLD.number OR NEW.expiry IS DISTINCT FROM OLD.expiry
            OR NEW.product_id IS DISTINCT FROM OLD.product_id) AND {_LOT_OF_SIGNED} THEN
            RAISE EXCEPTION '{LOCKED_VISIT}';
        END IF;
        RETURN NEW;""",
    "aliquot_lock_trail": f"RAISE EXCEPTION '{LOCKED_TRAIL}';",
    "aliquot_lock_photo": f"RAISE EXCEPTION '{LOCKED_PHOTO}';",
}
# name: (table, events, per row or statement, function)
_PG_TRIGGERS = {
    "lock_signed_visit": ("visit", "UPDATE OR DELETE", "ROW", "aliquot_lock_signed_visit"),
    "lock_signed_point": (
        "injection_point",
        "INSERT OR UPDATE OR DELETE",
        "ROW",
        "aliquot_lock_signed_point",
    ),
    "lock_signed_lot": ("lot", "UPDATE", "ROW", "aliquot_lock_signed_lot"),
    "lock_audit": ("audit_event", "UPDATE OR DELETE", "ROW", "aliquot_lock_trail"),
    "lock_audit_truncate": ("audit_event", "TRUNCATE", "STATEMENT", "aliquot_lock_trail"),
    "lock_cosign": ("visit_cosign", "UPDATE OR DELETE", "ROW", "aliquot_lock_trail"),
    "lock_cosign_truncate": ("visit_cosign", "TRUNCATE", "STATEMENT", "aliquot_lock_trail"),
    "lock_photo_image": ("photo_image", "UPDATE OR DELETE", "ROW", "aliquot_lock_photo"),
    # a signed visit's photos, like its points: the function reads NEW/OLD.visit_id alike
    "lock_signed_photo": ("photo", "INSERT OR UPDATE OR DELETE", "ROW", "aliquot_lock_signed_point"),
}


def _tables(connection: Connection) -> set[str]:
    from sqlalchemy import inspect

    return set(inspect(connection).get_table_names())


def create(connection: Connection) -> None:
    """Put every lock in place whose table the schema has (those already there are replaced)."""
    drop(connection)
    tables = _tables(connection)
    if connection.dialect.name == "sqlite":
        for name, (timing, condition, message) in SQLITE_TRIGGERS.items():
            if timing.split(" ON ")[1] not in tables:
                continue
            when = f" WHEN {condition}" if condition else ""
            connection.exec_driver_sql(
                f"CREATE TRIGGER {name} {timing}{when} BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    elif connection.dialect.name == "postgresql":
        for function, body in _PG_FUNCTIONS.items():
            connection.exec_driver_sql(
                f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN {body} END $$"
            )
        for name, (table, events, each, function) in _PG_TRIGGERS.items():
            if table in tables:
                connection.exec_driver_sql(
                    f"CREATE TRIGGER {name} BEFORE {events} ON {table}"
                    f" FOR EACH {each} EXECUTE FUNCTION {function}()"
                )


def drop(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    elif connection.dialect.name == "postgresql":
        present = {
            row[0]
            for row in connection.exec_driver_sql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        }
        for name, (table, *_rest) in _PG_TRIGGERS.items():
            if name in present:
                connection.exec_driver_sql(f"DROP TRIGGER {name} ON {table}")
        for function in _PG_FUNCTIONS:
            connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function}()")


def ensure(connection: Connection) -> None:
    """After a migration: the locks, for the tables the schema has (none before 0009)."""
    if "visit_cosign" in _tables(connection):
        create(connection)
