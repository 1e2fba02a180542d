"""photos of an adverse event

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

- photo.adverse_event_id: a photo of an adverse event, taken when it was seen; such a photo
  belongs to the event instead of a visit (whose record may be signed by then), so
  photo.visit_id may be empty, one of the two always set.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.add_column(sa.Column("adverse_event_id", sa.Integer(), nullable=True))
        batch_op.alter_column("visit_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f("ix_photo_adverse_event_id"), ["adverse_event_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_photo_adverse_event_id_adverse_event"),
            "adverse_event",
            ["adverse_event_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_check_constraint(
            "photo_of_visit_or_event", "(visit_id IS NULL) <> (adverse_event_id IS NULL)"
        )


def downgrade() -> None:
    # The older schema has no place for an event's photos: a database holding some is not
    # taken back (they would be lost); every visit's photo would stay.
    kept = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM photo WHERE visit_id IS NULL")).scalar_one()
    if kept:
        raise RuntimeError(
            f"{kept} photo(s) of adverse events have no place before revision 0015: export them"
            " (aliquot photos export) and remove them before going back"
        )
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_photo_photo_of_visit_or_event"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_photo_adverse_event_id_adverse_event"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_photo_adverse_event_id"))
        batch_op.alter_column("visit_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("adverse_event_id")
