"""fever-clinic hours and online consultations (helper B)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clinic_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("is_open_24h", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_clinic_profiles_place_id_places")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_profiles")),
        sa.UniqueConstraint("place_id", name=op.f("uq_clinic_profiles_place_id")),
    )
    op.create_table(
        "clinic_opening_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens_at", sa.Time(), nullable=False),
        sa.Column("closes_at", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_clinic_opening_hours_place_id_places")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_opening_hours")),
        sa.UniqueConstraint("place_id", "weekday", name=op.f("uq_clinic_opening_hours_place_id")),
    )
    op.create_table(
        "consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("open_resident_id", sa.Integer(), nullable=True),
        sa.Column("slot_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seat", sa.Integer(), nullable=True),
        sa.Column("symptoms_summary", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_by", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["open_resident_id"],
            ["residents.id"],
            name=op.f("fk_consultations_open_resident_id_residents"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_consultations_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
        sa.UniqueConstraint("open_resident_id", name=op.f("uq_consultations_open_resident_id")),
        sa.UniqueConstraint("slot_at", "seat", name=op.f("uq_consultations_slot_at")),
    )
    op.create_index(
        op.f("ix_consultations_resident_id"), "consultations", ["resident_id"], unique=False
    )
    op.create_index(
        "ix_consultations_slot_at_state", "consultations", ["slot_at", "state"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_consultations_slot_at_state", table_name="consultations")
    op.drop_index(op.f("ix_consultations_resident_id"), table_name="consultations")
    op.drop_table("consultations")
    op.drop_table("clinic_opening_hours")
    op.drop_table("clinic_profiles")
