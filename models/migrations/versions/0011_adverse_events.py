"""adverse events after a treatment, with a vascular occlusion's timed log

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

- adverse_event: what went wrong, when it began, how bad, where, what was done, the outcome.
- adverse_event_log: timed lines of an event: hyaluronidase doses, assessments.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _vocabulary(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=24)


def upgrade() -> None:
    op.create_table(
        "adverse_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            _vocabulary(
                "event_kind",
                "bruising",
                "swelling",
                "headache",
                "eyelid-ptosis",
                "brow-ptosis",
                "asymmetry",
                "nodule",
                "infection",
                "hypersensitivity",
                "vascular-occlusion",
                "other",
            ),
            nullable=False,
        ),
        sa.Column("severity", _vocabulary("event_severity", "mild", "moderate", "severe"), nullable=False),
        sa.Column("onset_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("regions", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("referral", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=op.f("fk_adverse_event_patient_id_patient"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_adverse_event_visit_id_visit"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event")),
    )
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adverse_event_onset_at"), ["onset_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_adverse_event_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_adverse_event_visit_id"), ["visit_id"], unique=False)
    op.create_table(
        "adverse_event_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", _vocabulary("event_log_kind", "dose", "assessment"), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("regions", sa.Text(), nullable=False),
        sa.Column("capillary_refill_s", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("skin_colour", sa.String(length=60), nullable=False),
        sa.Column("pain", sa.Integer(), nullable=True),
        sa.Column("vision", sa.String(length=120), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "pain IS NULL OR (pain >= 0 AND pain <= 10)", name=op.f("ck_adverse_event_log_pain_scale")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["adverse_event.id"],
            name=op.f("fk_adverse_event_log_event_id_adverse_event"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lot.id"], name=op.f("fk_adverse_event_log_lot_id_lot"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_adverse_event_log_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event_log")),
    )
    with op.batch_alter_table("adverse_event_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_adverse_event_log_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("adverse_event_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_event_log_event_id"))
    op.drop_table("adverse_event_log")
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_event_visit_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_patient_id"))
        batch_op.drop_index(batch_op.f("ix_adverse_event_onset_at"))
    op.drop_table("adverse_event")
