"""recall summary

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recall_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=40), nullable=False),
        sa.Column("product_kind", sa.String(length=24), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("last_treated", sa.Date(), nullable=False),
        sa.Column("due_from", sa.Date(), nullable=False),
        sa.Column("due_by", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_recall_item_patient_id_patient"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_recall_item_product_id_product"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_recall_item_provider_id_provider"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_item")),
        sa.UniqueConstraint(
            "patient_id",
            "area",
            "product_kind",
            "product_id",
            name=op.f("uq_recall_item_patient_id_area_product_kind_product_id"),
        ),
    )
    with op.batch_alter_table("recall_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recall_item_due", ["due_by", "due_from", "area", "patient_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_recall_item_patient_id"), ["patient_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recall_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recall_item_patient_id"))
        batch_op.drop_index("ix_recall_item_due")

    op.drop_table("recall_item")
    # The marker that the summary is complete goes with it (app.services.recall.SUMMARY_KEY):
    # upgraded again, the empty table is rebuilt on opening, not taken as complete.
    op.execute("DELETE FROM app_meta WHERE key = 'recall_summary'")
