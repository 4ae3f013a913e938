"""division boundaries (GeoJSON) for the dashboard's maps

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "division_boundaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["division_id"],
            ["divisions.id"],
            name=op.f("fk_division_boundaries_division_id_divisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_division_boundaries")),
        sa.UniqueConstraint("division_id", name=op.f("uq_division_boundaries_division_id")),
    )


def downgrade() -> None:
    op.drop_table("division_boundaries")
