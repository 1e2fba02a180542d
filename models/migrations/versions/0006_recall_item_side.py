"""recall rows per side of a paired area

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

- recall_item.side: `left` or `right` when one side of a paired area (one masseter, one
  crow's feet) is recalled on its own; empty for a whole area or a review. The unique key
  of a recall row takes the side in, and so does the due list's index (ordering a page by
  side stays an index-only scan).

The summary is derived data: app.services.recall rebuilds it on opening (its version marker
moved on with this revision), so the rows need no conversion here. A downgrade empties
it (per-side rows do not fit the older key) and removes its marker, so that the older
version rebuilds it on opening.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM recall_item")
    op.execute("DELETE FROM app_meta WHERE key = 'recall_summary'")
    with op.batch_alter_table("recall_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("side", sa.String(length=8), nullable=False, server_default=""))
        batch_op.drop_index("ix_recall_item_due")
        batch_op.create_index(
            "ix_recall_item_due", ["due_by", "due_from", "area", "patient_id", "side"], unique=False
        )
        batch_op.drop_constraint("uq_recall_item_patient_id_area_product_kind_product_id", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_recall_item_patient_id_area_side_product_kind_product_id"),
            ["patient_id", "area", "side", "product_kind", "product_id"],
        )


def downgrade() -> None:
    op.execute("DELETE FROM recall_item")
    op.execute("DELETE FROM app_meta WHERE key = 'recall_summary'")
    with op.batch_alter_table("recall_item", schema=None) as batch_op:
        batch_op.drop_constraint(
            "uq_recall_item_patient_id_area_side_product_kind_product_id", type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_recall_item_patient_id_area_product_kind_product_id"),
            ["patient_id", "area", "product_kind", "product_id"],
        )
        batch_op.drop_index("ix_recall_item_due")
        batch_op.create_index(
            "ix_recall_item_due", ["due_by", "due_from", "area", "patient_id"], unique=False
        )
        batch_op.drop_column("side")
