"""Alembic environment: migrations run on the engine handed over by models.database.

Each upgrade is one transaction. On SQLite, batch mode rebuilds a table by copying it
and dropping the original; with foreign keys enforced that drop would cascade into the
rows that point at it (a visit's injection points), so enforcement is paused for the
migration and the foreign keys are checked before it commits.
"""

from alembic import context
from sqlalchemy import Connection

import models.tables  # noqa: F401 (puts every table on Base.metadata)
from models import integrity, search_index
from models.base import Base
from models.database import sqlite_pragma

config = context.config
engine = config.attributes["engine"]


def _set_sqlite_foreign_keys(connection: Connection, on: bool) -> None:
    # Outside any transaction: SQLite ignores this PRAGMA inside one.
    sqlite_pragma(connection, f"foreign_keys={'ON' if on else 'OFF'}")


with engine.connect() as connection:
    is_sqlite = connection.dialect.name == "sqlite"
    if is_sqlite:
        _set_sqlite_foreign_keys(connection, False)
    try:
        with connection.begin():
            integrity.drop(connection)  # a table rebuilt by batch mode copies its rows
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=True,  # SQLite alters tables by copy-and-move
                compare_type=True,
                include_name=search_index.include_name,  # the search index is not in the models
            )
            context.run_migrations()
            integrity.ensure(connection)
            if is_sqlite:
                # a copied patient table lost the triggers of the search index
                search_index.ensure_sqlite_triggers(connection)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration would leave rows without their parent: {broken[:5]}")
    finally:
        if is_sqlite:
            _set_sqlite_foreign_keys(connection, True)
