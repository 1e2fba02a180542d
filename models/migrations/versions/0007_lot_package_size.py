"""the vial or syringe size of a lot

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

- lot.package_size: the size of the lot's vials or syringes, in the product's unit (a lot
  of Botox Cosmetic comes in 50 U or in 100 U vials), chosen among the product's
  catalogue sizes when the lot is registered. Lots registered before are of unknown size
  (null): the totals count them at the product's default size.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("package_size", sa.Numeric(precision=12, scale=3), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lot", schema=None) as batch_op:
        batch_op.drop_column("package_size")
