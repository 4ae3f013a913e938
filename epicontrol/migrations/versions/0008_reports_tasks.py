"""reports: self-checks, daily reports, public reports; grid tasks

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "self_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("fever", sa.Boolean(), nullable=False),
        sa.Column("triage", sa.String(length=16), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_self_checks_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_checks")),
    )
    with op.batch_alter_table("self_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_self_checks_resident_id"), ["resident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_self_checks_submitted_at"), ["submitted_at"], unique=False
        )


def downgrade() -> None:
    op.drop_table("self_checks")
