"""housing-estate health registration of households

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "estate_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("registered_by_user_id", sa.Integer(), nullable=True),
        sa.Column("registered_by", sa.String(length=80), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("members_present", sa.Integer(), nullable=False),
        sa.Column("has_fever_or_symptoms", sa.Boolean(), nullable=False),
        sa.Column("has_arrival_from_outside", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_estate_registrations_household_id_households"),
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_user_id"],
            ["users.id"],
            name=op.f("fk_estate_registrations_registered_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_estate_registrations")),
    )
    with op.batch_alter_table("estate_registrations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_estate_registrations_household_at",
            ["household_id", "registered_at"],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("estate_registrations")
