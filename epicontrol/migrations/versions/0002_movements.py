"""movements, checkpoint devices, passes, temperature alerts, risk areas

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:26:22.605997
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_areas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_areas")),
    )
    with op.batch_alter_table("risk_areas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_areas_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "checkpoint_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("fixed_direction", sa.String(length=3), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_checkpoint_devices_place_id_places")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoint_devices")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_checkpoint_devices_key_hash")),
    )
    with op.batch_alter_table("checkpoint_devices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkpoint_devices_place_id"), ["place_id"], unique=False
        )

    op.create_table(
        "movements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client_uuid", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=True),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("person_hash", sa.String(length=64), nullable=True),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("origin", sa.String(length=64), nullable=True),
        sa.Column("destination", sa.String(length=64), nullable=True),
        sa.Column("train_number", sa.String(length=16), nullable=True),
        sa.Column("carriage", sa.String(length=8), nullable=True),
        sa.Column("plate_hash", sa.String(length=64), nullable=True),
        sa.Column("plate_enc", sa.LargeBinary(), nullable=True),
        sa.Column("purpose", sa.String(length=120), nullable=True),
        sa.Column("occupants", sa.Integer(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["checkpoint_devices.id"],
            name=op.f("fk_movements_device_id_checkpoint_devices"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["imports.id"], name=op.f("fk_movements_import_id_imports")
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_movements_place_id_places")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_movements_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_movements")),
        sa.UniqueConstraint("client_uuid", name=op.f("uq_movements_client_uuid")),
    )
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_movements_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_movements_import_id"), ["import_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_movements_origin"), ["origin"], unique=False)
        batch_op.create_index(batch_op.f("ix_movements_person_hash"), ["person_hash"], unique=False)
        batch_op.create_index("ix_movements_place_time", ["place_id", "occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_movements_plate_hash"), ["plate_hash"], unique=False)
        batch_op.create_index(
            "ix_movements_resident_time", ["resident_id", "occurred_at"], unique=False
        )

    op.create_table(
        "personal_passes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pass_id", sa.String(length=32), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_personal_passes_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_passes")),
        sa.UniqueConstraint("pass_id", name=op.f("uq_personal_passes_pass_id")),
    )
    with op.batch_alter_table("personal_passes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_personal_passes_resident_id"), ["resident_id"], unique=False
        )

    op.create_table(
        "temperature_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "movement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("temperature", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_handled", sa.Boolean(), nullable=False),
        sa.Column("handled_by", sa.String(length=80), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["division_id"],
            ["divisions.id"],
            name=op.f("fk_temperature_alerts_division_id_divisions"),
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"],
            ["movements.id"],
            name=op.f("fk_temperature_alerts_movement_id_movements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_temperature_alerts_place_id_places")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_temperature_alerts_resident_id_residents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_temperature_alerts")),
    )
    with op.batch_alter_table("temperature_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_temperature_alerts_division_id"), ["division_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("temperature_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_temperature_alerts_division_id"))

    op.drop_table("temperature_alerts")
    with op.batch_alter_table("personal_passes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_passes_resident_id"))

    op.drop_table("personal_passes")
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.drop_index("ix_movements_resident_time")
        batch_op.drop_index(batch_op.f("ix_movements_plate_hash"))
        batch_op.drop_index("ix_movements_place_time")
        batch_op.drop_index(batch_op.f("ix_movements_person_hash"))
        batch_op.drop_index(batch_op.f("ix_movements_origin"))
        batch_op.drop_index(batch_op.f("ix_movements_import_id"))
        batch_op.drop_index(batch_op.f("ix_movements_day"))

    op.drop_table("movements")
    with op.batch_alter_table("checkpoint_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkpoint_devices_place_id"))

    op.drop_table("checkpoint_devices")
    with op.batch_alter_table("risk_areas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_areas_region_code"))

    op.drop_table("risk_areas")
