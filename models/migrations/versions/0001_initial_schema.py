"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_app_meta")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=60), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_entity", ["entity", "entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_occurred_at"), ["occurred_at"], unique=False)

    op.create_table(
        "patient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chart_number", sa.String(length=32), nullable=False),
        sa.Column("given_name", sa.String(length=120), nullable=False),
        sa.Column("family_name", sa.String(length=120), nullable=False),
        sa.Column("search_key", sa.String(length=400), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column(
            "sex",
            sa.Enum(
                "female",
                "male",
                "intersex",
                "unknown",
                name="sex",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("allergies", sa.Text(), nullable=False),
        sa.Column("medical_notes", sa.Text(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient")),
        sa.UniqueConstraint("chart_number", name=op.f("uq_patient_chart_number")),
    )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.create_index("ix_patient_family_given", ["family_name", "given_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_patient_search_key"), ["search_key"], unique=False)

    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("manufacturer", sa.String(length=120), nullable=False),
        sa.Column("generic_name", sa.String(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "neuromodulator",
                "filler",
                "biostimulator",
                "enzyme",
                "other",
                name="product_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "dose_unit",
            sa.Enum("U", "mL", name="dose_unit", native_enum=False, create_constraint=True, length=24),
            nullable=False,
        ),
        sa.Column("package_size", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("default_diluent_ml", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("reconstitution", sa.Text(), nullable=True),
        sa.Column("interval_min_days", sa.Integer(), nullable=True),
        sa.Column("interval_max_days", sa.Integer(), nullable=True),
        sa.Column("max_dose_per_visit", sa.Numeric(precision=12, scale=3), nullable=True),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "interval_min_days IS NULL OR interval_max_days IS NULL OR interval_min_days <= interval_max_days",
            name=op.f("ck_product_interval_order"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("name_key", name=op.f("uq_product_name_key")),
    )
    op.create_table(
        "provider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("credentials", sa.String(length=40), nullable=False),
        sa.Column("licence_number", sa.String(length=60), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider")),
        sa.UniqueConstraint("name_key", name=op.f("uq_provider_name_key")),
    )
    op.create_table(
        "lot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=True),
        sa.Column("received", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_lot_product_id_product"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lot")),
        sa.UniqueConstraint("product_id", "number", name=op.f("uq_lot_product_id_number")),
    )
    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "signed", name="visit_status", native_enum=False, create_constraint=True, length=24
            ),
            nullable=False,
        ),
        sa.Column("concern", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("consent_recorded", sa.Boolean(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_visit_patient_id_patient"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_visit_provider_id_provider"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"], ["provider.id"], name=op.f("fk_visit_signed_by_id_provider")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
        sa.UniqueConstraint("patient_id", "external_id", name=op.f("uq_visit_patient_id_external_id")),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index("ix_visit_patient_started", ["patient_id", "started_at"], unique=False)

    op.create_table(
        "injection_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "view",
            sa.Enum(
                "front", "left", "right", name="view", native_enum=False, create_constraint=True, length=24
            ),
            nullable=False,
        ),
        sa.Column("x", sa.Double(), nullable=False),
        sa.Column("y", sa.Double(), nullable=False),
        sa.Column("region_code", sa.String(length=40), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column("aliquots", sa.Integer(), nullable=False),
        sa.Column(
            "depth",
            sa.Enum(
                "intradermal",
                "subdermal",
                "intramuscular",
                "supraperiosteal",
                name="depth",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column(
            "technique",
            sa.Enum(
                "needle", "cannula", name="technique", native_enum=False, create_constraint=True, length=24
            ),
            nullable=True,
        ),
        sa.Column("gauge", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.CheckConstraint("aliquots >= 1", name=op.f("ck_injection_point_aliquots_positive")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_injection_point_amount_positive")),
        sa.CheckConstraint(
            "x >= 0 AND x <= 1 AND y >= 0 AND y <= 1", name=op.f("ck_injection_point_normalized_xy")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["lot.id"], name=op.f("fk_injection_point_lot_id_lot"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_injection_point_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visit.id"], name=op.f("fk_injection_point_visit_id_visit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_injection_point")),
        sa.UniqueConstraint("visit_id", "position", name=op.f("uq_injection_point_visit_id_position")),
    )
    with op.batch_alter_table("injection_point", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_injection_point_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_injection_point_product_id"), ["product_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_injection_point_visit_id"), ["visit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("injection_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_injection_point_visit_id"))
        batch_op.drop_index(batch_op.f("ix_injection_point_product_id"))
        batch_op.drop_index(batch_op.f("ix_injection_point_lot_id"))

    op.drop_table("injection_point")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index("ix_visit_patient_started")

    op.drop_table("visit")
    op.drop_table("lot")
    op.drop_table("provider")
    op.drop_table("product")
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_search_key"))
        batch_op.drop_index("ix_patient_family_given")

    op.drop_table("patient")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_occurred_at"))
        batch_op.drop_index("ix_audit_event_entity")

    op.drop_table("audit_event")
    op.drop_table("app_meta")
