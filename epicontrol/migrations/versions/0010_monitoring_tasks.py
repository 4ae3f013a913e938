"""daily monitoring: observations, daily reports; grid-worker tasks

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("last_exposure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=80), nullable=True),
        sa.Column("close_reason", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(
            ["division_id"], ["divisions.id"], name=op.f("fk_observations_division_id_divisions")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_observations_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observations")),
    )
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_observations_division_id"), ["division_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_observations_ends_on"), ["ends_on"], unique=False)
        batch_op.create_index(
            "ix_observations_resident_reason", ["resident_id", "reason"], unique=False
        )

    op.create_table(
        "observation_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["observations.id"],
            name=op.f("fk_observation_sources_observation_id_observations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observation_sources")),
        sa.UniqueConstraint(
            "source_kind", "source_id", name=op.f("uq_observation_sources_source_kind")
        ),
    )
    with op.batch_alter_table("observation_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_observation_sources_observation_id"), ["observation_id"], unique=False
        )

    op.create_table(
        "daily_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=False),
        sa.Column("symptoms", sa.String(length=300), nullable=False),
        sa.Column("is_symptomatic", sa.Boolean(), nullable=False),
        sa.Column("is_at_home", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=400), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_daily_reports_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daily_reports")),
        sa.UniqueConstraint("resident_id", "day", name=op.f("uq_daily_reports_resident_id")),
    )

    op.create_table(
        "grid_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=120), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completion_notes", sa.String(length=1000), nullable=False),
        sa.Column("completed_by", sa.String(length=80), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"], ["users.id"], name=op.f("fk_grid_tasks_assignee_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["division_id"], ["divisions.id"], name=op.f("fk_grid_tasks_division_id_divisions")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_grid_tasks_household_id_households"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_grid_tasks_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_tasks")),
        sa.UniqueConstraint("source_ref", name=op.f("uq_grid_tasks_source_ref")),
    )
    with op.batch_alter_table("grid_tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_grid_tasks_assignee_status", ["assignee_user_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_grid_tasks_division_status_due", ["division_id", "status", "due_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_grid_tasks_resident_id"), ["resident_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("grid_tasks")
    op.drop_table("daily_reports")
    op.drop_table("observation_sources")
    op.drop_table("observations")
