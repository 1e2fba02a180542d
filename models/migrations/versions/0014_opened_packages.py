"""opened vials and syringes, and the points drawn from them

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

- opened_package: what was `reconstitution` (a toxin vial mixed), now also a filler
  syringe opened; with who finished it and how (used up or wasted). Every vial is copied.
- injection_point.package_id: the vial or syringe a point was drawn from. Points already
  charted (not imported) from a lot with recorded vials are linked to the oldest vial of that
  lot in use at their visit with enough left, in charting order, as saving does now.
"""

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

from models.base import Amount, UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# As app/services/packages.py: a vial mixed as the patient sits down serves that visit.
MIXED_DURING_VISIT = timedelta(hours=2)


def upgrade() -> None:
    op.create_table(
        "opened_package",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "vial", "syringe", name="package_kind", native_enum=False, create_constraint=True, length=24
            ),
            nullable=False,
        ),
        sa.Column("size", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("diluent_ml", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("diluent", sa.String(length=120), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=120), nullable=False),
        sa.Column("discard_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_by", sa.String(length=120), nullable=False),
        sa.Column(
            "finish",
            sa.Enum(
                "used up",
                "wasted",
                name="package_finish",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "size > 0 AND (diluent_ml IS NULL OR diluent_ml > 0)",
            name=op.f("ck_opened_package_package_amounts"),
        ),
        sa.CheckConstraint(
            "kind = 'syringe' OR diluent_ml IS NOT NULL", name=op.f("ck_opened_package_vial_has_diluent")
        ),
        sa.CheckConstraint(
            "(finished_at IS NULL) = (finish IS NULL)", name=op.f("ck_opened_package_finished_how")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lot.id"], name=op.f("fk_opened_package_lot_id_lot"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opened_package")),
    )
    with op.batch_alter_table("opened_package", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opened_package_lot_id"), ["lot_id"], unique=False)
    op.execute(
        "INSERT INTO opened_package (id, lot_id, kind, size, diluent_ml, diluent, opened_at, opened_by,"
        " discard_by, finished_at, finished_by, finish)"
        " SELECT id, lot_id, 'vial', vial_size, diluent_ml, diluent, mixed_at, mixed_by, discard_by,"
        " finished_at, '', CASE WHEN finished_at IS NULL THEN NULL ELSE 'used up' END FROM reconstitution"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('opened_package', 'id'),"
            " COALESCE((SELECT MAX(id) FROM opened_package), 0) + 1, false)"
        )
    with op.batch_alter_table("reconstitution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconstitution_lot_id"))
    op.drop_table("reconstitution")

    with op.batch_alter_table("injection_point", schema=None) as batch_op:
        batch_op.add_column(sa.Column("package_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_injection_point_package_id"), ["package_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_injection_point_package_id_opened_package"),
            "opened_package",
            ["package_id"],
            ["id"],
            ondelete="RESTRICT",
        )
    _link_points_to_their_vials()


def _link_points_to_their_vials() -> None:
    """Each point charted (not imported) from a lot with recorded vials goes to the oldest
    vial in use at its visit with enough left, in charting order, as saving does now."""
    bind = op.get_bind()
    moment, amount = UTCDateTime(), Amount()
    vials: dict[int, list[Any]] = {}
    row: Any
    for row in bind.execute(
        sa.select(
            sa.column("id"),
            sa.column("lot_id"),
            sa.column("size", amount),
            sa.column("opened_at", moment),
            sa.column("discard_by", moment),
            sa.column("finished_at", moment),
        )
        .select_from(sa.table("opened_package"))
        .order_by(sa.column("opened_at"), sa.column("id"))
    ):
        vials.setdefault(row.lot_id, []).append(row)
    if not vials:
        return
    left = {vial.id: vial.size for rows in vials.values() for vial in rows}
    points: list[Any] = bind.execute(  # type: ignore[assignment]
        sa.text(
            "SELECT p.id, p.lot_id, p.amount, v.started_at FROM injection_point p JOIN visit v ON v.id = p.visit_id"
            " WHERE p.lot_id IN (SELECT lot_id FROM opened_package) AND NOT v.imported"
            " ORDER BY v.started_at, v.id, p.position"
        ).columns(
            sa.column("id"), sa.column("lot_id"), sa.column("amount", amount), sa.column("started_at", moment)
        )
    ).all()
    for point_id, lot_id, dose, started_at in points:
        usable = [
            v
            for v in vials[lot_id]
            if v.opened_at - MIXED_DURING_VISIT <= started_at
            and (v.discard_by is None or started_at <= v.discard_by)
            and (v.finished_at is None or started_at <= v.finished_at)
        ]
        if not usable:
            continue
        vial = next((v for v in usable if left[v.id] >= dose), usable[-1])  # else the latest, as charted
        left[vial.id] -= dose
        bind.execute(
            sa.text("UPDATE injection_point SET package_id = :vial WHERE id = :point"),
            {"vial": vial.id, "point": point_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("injection_point", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_injection_point_package_id_opened_package"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_injection_point_package_id"))
        batch_op.drop_column("package_id")
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
    # Syringes have no place in the older schema; vials go back as they were.
    op.execute(
        "INSERT INTO reconstitution (id, lot_id, vial_size, diluent_ml, diluent, mixed_at, mixed_by,"
        " discard_by, finished_at) SELECT id, lot_id, size, diluent_ml, diluent, opened_at, opened_by,"
        " discard_by, finished_at FROM opened_package WHERE kind = 'vial'"
    )
    with op.batch_alter_table("opened_package", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opened_package_lot_id"))
    op.drop_table("opened_package")
