"""chart numbers and external ids ignore letter case

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

A chart number is one patient whatever its letter case (A-0001 is a-0001), and an
external id is one visit of its chart (v1 is V1). Each gets a key column, the text
case-folded by models.validation.identity_key, that carries the uniqueness in place of
the case-sensitive constraints.

A database written before this revision may already hold records that differ only in
case. They are never merged: that would join two people's charts, or keep one of two
signed visits and drop the other. The first record (lowest id) keeps its name; each later
one is renamed with a -DUP1, -DUP2 ... suffix, so that the clinic sees it in every list
and can reconcile it, and each renaming is written to the audit trail (action "rename").
A downgrade keeps the new names.
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime
from models.validation import identity_key

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ACTOR = "aliquot upgrade 0004"
REASON = "differed only in letter case from {other}, which kept it; reconcile the two records"

patient = sa.table("patient", sa.column("id"), sa.column("chart_number"), sa.column("chart_key"))
visit = sa.table(
    "visit", sa.column("id"), sa.column("patient_id"), sa.column("external_id"), sa.column("external_key")
)
audit_event = sa.table(
    "audit_event",
    sa.column("occurred_at", UTCDateTime),
    sa.column("actor"),
    sa.column("action"),
    sa.column("entity"),
    sa.column("entity_id"),
    sa.column("details"),
)


def _renamed(name: str, limit: int, taken: set[str]) -> str:
    """name-DUP1, -DUP2 ...: the first whose key no record holds, within the column's width."""
    number = 1
    while True:
        suffix = f"-DUP{number}"
        candidate = name[: limit - len(suffix)] + suffix
        if identity_key(candidate) not in taken:
            return candidate
        number += 1


def _assign_keys(
    connection: sa.Connection,
    table: sa.TableClause,
    name_column: str,
    key_column: str,
    limit: int,
    within: str | None = None,
) -> None:
    """Fill the key column; rename the later of any records whose keys would clash (within
    one patient's chart when `within` names the patient column)."""
    # One statement for the usual case (ASCII, no clash); Python for the rest.
    connection.execute(table.update().values({key_column: sa.func.lower(table.c[name_column])}))
    rows = connection.execute(sa.select(table).order_by(table.c.id)).mappings().all()
    group = (lambda row: row[within]) if within else (lambda row: None)
    taken: dict[object, set[str]] = {}
    for row in rows:
        taken.setdefault(group(row), set()).add(identity_key(row[name_column]))
    holders: dict[object, dict[str, str]] = {}  # per group: key -> the name that holds it
    changes, events = [], []
    for row in rows:
        original = value = row[name_column]
        held = holders.setdefault(group(row), {})
        if identity_key(value) in held:
            value = _renamed(original, limit, taken[group(row)])
            taken[group(row)].add(identity_key(value))
            details = {
                name_column: {"from": original, "to": value},
                "reason": REASON.format(other=held[identity_key(original)]),
            }
            if within:
                details[within] = row[within]
            events.append(
                {
                    "occurred_at": datetime.now(UTC),
                    "actor": ACTOR,
                    "action": "rename",
                    "entity": table.name,
                    "entity_id": str(row["id"]),
                    "details": json.dumps(details, ensure_ascii=False, sort_keys=True),
                }
            )
        held[identity_key(value)] = value
        if value != original or identity_key(value) != row[key_column]:
            changes.append({"row_id": row["id"], "name": value, "key": identity_key(value)})
    if changes:
        connection.execute(
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values({name_column: sa.bindparam("name"), key_column: sa.bindparam("key")}),
            changes,
        )
    if events:
        connection.execute(audit_event.insert(), events)


def upgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chart_key", sa.String(length=96), nullable=True))
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_key", sa.String(length=360), nullable=True))

    connection = op.get_bind()
    _assign_keys(connection, patient, "chart_number", "chart_key", 32)
    _assign_keys(connection, visit, "external_id", "external_key", 120, within="patient_id")

    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.alter_column("chart_key", existing_type=sa.String(length=96), nullable=False)
        batch_op.drop_constraint("uq_patient_chart_number", type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_patient_chart_key"), ["chart_key"])
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.alter_column("external_key", existing_type=sa.String(length=360), nullable=False)
        batch_op.drop_constraint("uq_visit_patient_id_external_id", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_visit_patient_id_external_key"), ["patient_id", "external_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_visit_patient_id_external_key"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_visit_patient_id_external_id"), ["patient_id", "external_id"]
        )
        batch_op.drop_column("external_key")
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_patient_chart_key"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_patient_chart_number"), ["chart_number"])
        batch_op.drop_column("chart_key")
