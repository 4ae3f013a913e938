"""portal feed of provincial and national figures (helper A)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_feed_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("region_name", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("confirmed", sa.Integer(), nullable=False),
        sa.Column("suspected", sa.Integer(), nullable=False),
        sa.Column("asymptomatic", sa.Integer(), nullable=False),
        sa.Column("cured", sa.Integer(), nullable=False),
        sa.Column("deaths", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_feed_figures")),
        sa.UniqueConstraint(
            "level", "region_code", "day", name=op.f("uq_portal_feed_figures_level")
        ),
    )
    op.create_index(
        "ix_portal_feed_figures_level_day", "portal_feed_figures", ["level", "day"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_portal_feed_figures_level_day", table_name="portal_feed_figures")
    op.drop_table("portal_feed_figures")
