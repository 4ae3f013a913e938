"""mask supply, quotas, reservations and pickups (helper F)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mask_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("allocation", sa.String(length=16), nullable=False),
        sa.Column("masks_per_household", sa.Integer(), nullable=False),
        sa.Column("supply", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pickup_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pickup_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lottery_seed", sa.String(length=64), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reserved <= supply", name=op.f("ck_mask_rounds_reserved_within_supply")
        ),
        sa.CheckConstraint("masks_per_household > 0", name=op.f("ck_mask_rounds_positive_quota")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_mask_rounds_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["division_id"], ["divisions.id"], name=op.f("fk_mask_rounds_division_id_divisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mask_rounds")),
    )
    op.create_index(
        op.f("ix_mask_rounds_division_id"), "mask_rounds", ["division_id"], unique=False
    )
    op.create_table(
        "mask_round_pharmacies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_mask_round_pharmacies_place_id_places")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["mask_rounds.id"],
            name=op.f("fk_mask_round_pharmacies_round_id_mask_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mask_round_pharmacies")),
        sa.UniqueConstraint("round_id", "place_id", name="uq_mask_round_pharmacies_round_place"),
    )
    op.create_index(
        op.f("ix_mask_round_pharmacies_place_id"),
        "mask_round_pharmacies",
        ["place_id"],
        unique=False,
    )
    op.create_table(
        "mask_reservations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("masks", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pickup_code", sa.String(length=12), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("collected_by", sa.Integer(), nullable=True),
        sa.CheckConstraint("masks > 0", name=op.f("ck_mask_reservations_positive_masks")),
        sa.ForeignKeyConstraint(
            ["collected_by"], ["users.id"], name=op.f("fk_mask_reservations_collected_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_mask_reservations_household_id_households"),
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_mask_reservations_place_id_places")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_mask_reservations_resident_id_residents"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["mask_rounds.id"], name=op.f("fk_mask_reservations_round_id_mask_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mask_reservations")),
        sa.UniqueConstraint(
            "round_id", "household_id", name="uq_mask_reservations_round_household"
        ),
        sa.UniqueConstraint("round_id", "pickup_code", name="uq_mask_reservations_round_code"),
    )
    op.create_index(
        op.f("ix_mask_reservations_household_id"),
        "mask_reservations",
        ["household_id"],
        unique=False,
    )
    op.create_index(
        "ix_mask_reservations_pickup_code", "mask_reservations", ["pickup_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_mask_reservations_pickup_code", table_name="mask_reservations")
    op.drop_index(op.f("ix_mask_reservations_household_id"), table_name="mask_reservations")
    op.drop_table("mask_reservations")
    op.drop_index(op.f("ix_mask_round_pharmacies_place_id"), table_name="mask_round_pharmacies")
    op.drop_table("mask_round_pharmacies")
    op.drop_index(op.f("ix_mask_rounds_division_id"), table_name="mask_rounds")
    op.drop_table("mask_rounds")
