"""reconstituted vials

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

- reconstitution: a toxin vial mixed (vial size, diluent volume and kind, when, by whom,
  discard-by time from the label's use-within time, and when it was finished).
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconstitution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("vial_size", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("diluent_ml", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("diluent", sa.String(length=120), nullable=False),
        sa.Column("mixed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mixed_by", sa.String(length=120), nullable=False),
        sa.Column("discard_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "vial_size > 0 AND diluent_ml > 0", name=op.f("ck_reconstitution_reconstitution_amounts")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lot.id"], name=op.f("fk_reconstitution_lot_id_lot"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconstitution")),
    )
    with op.batch_alter_table("reconstitution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reconstitution_lot_id"), ["lot_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reconstitution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconstitution_lot_id"))
    op.drop_table("reconstitution")
