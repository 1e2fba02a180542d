"""stock: barcodes mapped to products, deliveries and wastage, imported visits

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

- product_barcode: a GTIN (GS1) and its catalogue product, mapped once by the clinic.
- stock_movement: a lot's deliveries (packages and amount) and what left it other than by
  charting (wasted, expired, broken).
- visit.imported: a visit brought in from a file, which takes nothing from this clinic's
  stock. (A lot's stock counts the visits from its first delivery on, so visits already
  there never count.)
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "product_barcode",
        sa.Column("gtin", sa.String(length=14), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_product_barcode_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("gtin", name=op.f("pk_product_barcode")),
    )
    op.create_table(
        "stock_movement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("packages", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("supplier", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_stock_movement_stock_movement_amount")),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lot.id"], name=op.f("fk_stock_movement_lot_id_lot"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movement")),
    )
    with op.batch_alter_table("stock_movement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_movement_lot_id"), ["lot_id"], unique=False)
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("imported", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_column("imported")
    with op.batch_alter_table("stock_movement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_movement_lot_id"))
    op.drop_table("stock_movement")
    op.drop_table("product_barcode")
