"""labour matching: needs, resident profiles, applications (issue 9, helper F)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "labour_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("skills", sa.String(length=400), nullable=False),
        sa.Column("shifts", sa.String(length=40), nullable=False),
        sa.Column("days", sa.String(length=40), nullable=False),
        sa.Column("max_distance_km", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "max_distance_km > 0", name=op.f("ck_labour_profiles_positive_distance")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_labour_profiles_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labour_profiles")),
        sa.UniqueConstraint("resident_id", name=op.f("uq_labour_profiles_resident_id")),
    )
    op.create_table(
        "labour_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("employer_name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("skills", sa.String(length=400), nullable=False),
        sa.Column("positions", sa.Integer(), nullable=False),
        sa.Column("filled", sa.Integer(), nullable=False),
        sa.Column("place_name", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("shift", sa.String(length=16), nullable=False),
        sa.Column("days", sa.String(length=40), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("pay_yuan_per_day", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("posted_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "filled <= positions", name=op.f("ck_labour_needs_filled_within_positions")
        ),
        sa.CheckConstraint("filled >= 0", name=op.f("ck_labour_needs_filled_not_negative")),
        sa.CheckConstraint("positions > 0", name=op.f("ck_labour_needs_positive_positions")),
        sa.ForeignKeyConstraint(
            ["division_id"], ["divisions.id"], name=op.f("fk_labour_needs_division_id_divisions")
        ),
        sa.ForeignKeyConstraint(
            ["posted_by"], ["users.id"], name=op.f("fk_labour_needs_posted_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labour_needs")),
    )
    op.create_index(
        op.f("ix_labour_needs_division_id"), "labour_needs", ["division_id"], unique=False
    )
    op.create_index(op.f("ix_labour_needs_posted_by"), "labour_needs", ["posted_by"], unique=False)
    op.create_index(op.f("ix_labour_needs_status"), "labour_needs", ["status"], unique=False)
    op.create_table(
        "labour_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("proposed_by", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_labour_applications_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["labour_needs.id"],
            name=op.f("fk_labour_applications_need_id_labour_needs"),
        ),
        sa.ForeignKeyConstraint(
            ["proposed_by"], ["users.id"], name=op.f("fk_labour_applications_proposed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_labour_applications_resident_id_residents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labour_applications")),
        sa.UniqueConstraint("need_id", "resident_id", name="uq_labour_applications_need_resident"),
    )
    op.create_index(
        op.f("ix_labour_applications_need_id"), "labour_applications", ["need_id"], unique=False
    )
    op.create_index(
        "ix_labour_applications_resident", "labour_applications", ["resident_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_labour_applications_resident", table_name="labour_applications")
    op.drop_index(op.f("ix_labour_applications_need_id"), table_name="labour_applications")
    op.drop_table("labour_applications")
    op.drop_index(op.f("ix_labour_needs_status"), table_name="labour_needs")
    op.drop_index(op.f("ix_labour_needs_posted_by"), table_name="labour_needs")
    op.drop_index(op.f("ix_labour_needs_division_id"), table_name="labour_needs")
    op.drop_table("labour_needs")
    op.drop_table("labour_profiles")
