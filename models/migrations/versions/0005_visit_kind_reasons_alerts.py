"""visit kind, the reason given for safety warnings, patient alerts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

- visit.kind: a visit is a `treatment` or a `review` (seen again, nothing injected); every
  visit stored before is a treatment.
- visit.warning_reason: why the injector went on despite the safety warnings listed when
  the visit was saved (dose outside the usual range, early re-treatment, an ingredient the
  patient is allergic to); empty when nothing was warned.
- patient.alerts: what must be in sight while charting (pregnancy, breast-feeding, a blood
  thinner…), beside the allergies.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "treatment",
                    "review",
                    name="visit_kind",
                    native_enum=False,
                    create_constraint=True,
                    length=24,
                ),
                nullable=False,
                server_default="treatment",
            )
        )
        batch_op.add_column(sa.Column("warning_reason", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alerts", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_column("alerts")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_column("warning_reason")
        batch_op.drop_constraint("visit_kind", type_="check")
        batch_op.drop_column("kind")
