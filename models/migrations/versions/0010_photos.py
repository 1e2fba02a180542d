"""clinical photos of a visit, stored in the database

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

- photo: a visit's photo (pose, consent scope, capture time, size, SHA-256 of the stored
  image, a thumbnail for the photo strip).
- photo_image: the stored image itself, apart (listing photos never reads images), locked
  by models/integrity.py once written.
- photo_landmarks: the facial landmarks placed on a frontal photo, and its iris diameter.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("pose", sa.String(length=40), nullable=False),
        sa.Column(
            "scope",
            sa.Enum(
                "clinical",
                "teaching",
                "marketing",
                name="photo_scope",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("width > 0 AND height > 0", name=op.f("ck_photo_photo_size_positive")),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_photo_visit_id_visit"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo")),
    )
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_photo_visit_id"), ["visit_id"], unique=False)
        batch_op.create_index("ix_photo_visit_pose", ["visit_id", "pose"], unique=False)
    op.create_table(
        "photo_image",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photo.id"], name=op.f("fk_photo_image_photo_id_photo"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("photo_id", name=op.f("pk_photo_image")),
    )
    op.create_table(
        "photo_landmarks",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Text(), nullable=False),
        sa.Column("iris_diameter_px", sa.Float(), nullable=True),
        sa.Column("placed_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photo.id"], name=op.f("fk_photo_landmarks_photo_id_photo"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("photo_id", name=op.f("pk_photo_landmarks")),
    )


def downgrade() -> None:
    op.drop_table("photo_landmarks")
    op.drop_table("photo_image")
    with op.batch_alter_table("photo", schema=None) as batch_op:
        batch_op.drop_index("ix_photo_visit_pose")
        batch_op.drop_index(batch_op.f("ix_photo_visit_id"))
    op.drop_table("photo")
