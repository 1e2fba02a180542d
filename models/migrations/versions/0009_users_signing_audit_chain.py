"""users who sign in, signed visits that cannot change, and a hash-chained audit trail

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

- user_account: who signs in, with a role and an argon2 password hash; an injector's or
  prescriber's account is linked to the injector register.
- visit: who signed (the account) and as what, the canonical content signed with its
  SHA-256, and for an amendment the visit it corrects with the reason.
- visit_cosign: a prescriber's co-signature.
- audit_event: the workstation, the patient and visit it concerns, and its hash in the
  chain (models/audit_chain.py). The events already there are chained in id order.
- Visits already marked signed (imported, or from a demo) are sealed as they stand, by
  the signer they name or "a signer not recorded", each seal chained as a "sign" event:
  from now on `aliquot audit verify` checks them like any other.
- The locks of models/integrity.py are put in place by models/migrations/env.py.
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from models.audit_chain import GENESIS, ChainedFields, canonical_json, content_hash, event_hash, moment_text
from models.base import UTCDateTime
from models.signed_content import read_records
from models.tables import Visit
from models.vocabulary import VisitStatus

UNKNOWN_SIGNER = "a signer not recorded (signed before signatures were kept)"

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("username_key", sa.String(length=96), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "injector",
                "prescriber",
                "front-desk",
                "admin",
                name="user_role",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_user_account_provider_id_provider"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username_key", name=op.f("uq_user_account_username_key")),
    )
    op.create_table(
        "visit_cosign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cosigner", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("cosigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_visit_cosign_user_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_visit_cosign_visit_id_visit"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_cosign")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_visit_cosign_visit_id")),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signed_by_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("signer_role", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("signed_record", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("signed_snapshot", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("amends_visit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("amendment_reason", sa.Text(), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_visit_amends_visit_id"), ["amends_visit_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_visit_signed_by_user_id_user_account"),
            "user_account",
            ["signed_by_user_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_visit_amends_visit_id_visit"), "visit", ["amends_visit_id"], ["id"]
        )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("workstation", sa.String(length=120), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("patient_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("visit_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_audit_event_patient"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_actor"), ["actor"], unique=False)
    last = _chain_existing_events()
    _seal_signed_visits(*last)


def _seal_signed_visits(last_id: int, last_hash: str) -> None:
    """Seal every visit marked signed before signatures were kept, and chain each seal."""
    bind = op.get_bind()
    session = Session(bind=bind)
    people = {
        row.id: {
            "name": row.display_name,
            "credentials": row.credentials,
            "licence": row.licence_number or "",
            "role": "",
            "username": "",
        }
        for row in bind.execute(sa.text("SELECT id, display_name, credentials, licence_number FROM provider"))
    }
    visits = sa.table(
        "visit",
        sa.column("id", sa.Integer()),
        sa.column("patient_id", sa.Integer()),
        sa.column("provider_id", sa.Integer()),
        sa.column("signed_by_id", sa.Integer()),
        sa.column("signed_at", UTCDateTime()),
        sa.column("status", sa.String()),
        sa.column("signed_record", sa.Text()),
        sa.column("signed_snapshot", sa.Text()),
        sa.column("content_hash", sa.String()),
    )
    facts = {
        row.id: row
        for row in bind.execute(
            sa.select(
                visits.c.id,
                visits.c.patient_id,
                visits.c.provider_id,
                visits.c.signed_by_id,
                visits.c.signed_at,
            ).where(visits.c.status == "signed")
        )
    }
    if not facts:
        return
    unknown = {"name": UNKNOWN_SIGNER, "credentials": "", "licence": "", "role": "", "username": ""}
    updates, events = [], []
    now = datetime.now(UTC)
    for stored in read_records(session, Visit.status == VisitStatus.SIGNED):
        visit = facts[stored.visit_id]
        snapshot = canonical_json(
            {
                "injector": people[visit.provider_id],
                "next_due": [],
                "warnings": [],
                "signer": people.get(visit.signed_by_id, unknown),
                "signed_at": moment_text(visit.signed_at) if visit.signed_at else None,
            }
        )
        digest = content_hash(stored.record, snapshot)
        updates.append(
            {"visit_key": visit.id, "record": stored.record, "snapshot": snapshot, "digest": digest}
        )
        fields = ChainedFields(
            last_id + 1,
            now,
            "database upgrade",
            "",
            "sign",
            "visit",
            str(visit.id),
            visit.patient_id,
            visit.id,
            json.dumps({"content_hash": digest, "role": "before-0009"}, sort_keys=True),
        )
        last_id, last_hash = fields.id, event_hash(last_hash, fields)
        events.append(
            {**{f: getattr(fields, f) for f in ChainedFields.__dataclass_fields__}, "hash": last_hash}
        )
    bind.execute(
        visits.update()
        .where(visits.c.id == sa.bindparam("visit_key"))
        .values(
            signed_record=sa.bindparam("record"),
            signed_snapshot=sa.bindparam("snapshot"),
            content_hash=sa.bindparam("digest"),
        ),
        updates,
    )
    audit = sa.table(
        "audit_event",
        *(sa.column(name) for name in ChainedFields.__dataclass_fields__ if name != "occurred_at"),
        sa.column("occurred_at", UTCDateTime()),
        sa.column("hash", sa.String()),
    )
    bind.execute(sa.insert(audit), events)


def _chain_existing_events() -> tuple[int, str]:
    """The events already recorded, with the patient and visit they name, chained in order."""
    bind = op.get_bind()
    bind.exec_driver_sql(
        "UPDATE audit_event SET visit_id = CAST(entity_id AS INTEGER)"
        " WHERE entity = 'visit' AND entity_id IS NOT NULL"
    )
    bind.exec_driver_sql(
        "UPDATE audit_event SET patient_id = CAST(entity_id AS INTEGER)"
        " WHERE entity = 'patient' AND entity_id IS NOT NULL"
    )
    bind.exec_driver_sql(
        "UPDATE audit_event SET patient_id = (SELECT patient_id FROM visit WHERE visit.id = audit_event.visit_id)"
        " WHERE visit_id IS NOT NULL"
    )
    events = sa.table(
        "audit_event",
        sa.column("id", sa.Integer()),
        sa.column("occurred_at", UTCDateTime()),
        sa.column("actor", sa.String()),
        sa.column("workstation", sa.String()),
        sa.column("action", sa.String()),
        sa.column("entity", sa.String()),
        sa.column("entity_id", sa.String()),
        sa.column("patient_id", sa.Integer()),
        sa.column("visit_id", sa.Integer()),
        sa.column("details", sa.Text()),
        sa.column("hash", sa.String()),
    )
    previous = GENESIS
    hashes = []
    for row in bind.execute(sa.select(events).order_by(events.c.id)):
        fields = ChainedFields(
            row.id,
            row.occurred_at,
            row.actor,
            row.workstation,
            row.action,
            row.entity,
            row.entity_id,
            row.patient_id,
            row.visit_id,
            row.details,
        )
        previous = event_hash(previous, fields)
        hashes.append({"event_id": row.id, "event_hash": previous})
    if hashes:
        bind.execute(
            events.update()
            .where(events.c.id == sa.bindparam("event_id"))
            .values(hash=sa.bindparam("event_hash")),
            hashes,
        )
        return hashes[-1]["event_id"], previous
    return 0, GENESIS


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_actor"))
        batch_op.drop_index(batch_op.f("ix_audit_event_patient"))
        batch_op.drop_column("hash")
        batch_op.drop_column("visit_id")
        batch_op.drop_column("patient_id")
        batch_op.drop_column("workstation")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_visit_amends_visit_id_visit"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_visit_signed_by_user_id_user_account"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_visit_amends_visit_id"))
        batch_op.drop_column("amendment_reason")
        batch_op.drop_column("amends_visit_id")
        batch_op.drop_column("content_hash")
        batch_op.drop_column("signed_snapshot")
        batch_op.drop_column("signed_record")
        batch_op.drop_column("signer_role")
        batch_op.drop_column("signed_by_user_id")
    op.drop_table("visit_cosign")
    op.drop_table("user_account")
