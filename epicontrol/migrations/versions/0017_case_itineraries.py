"""published case itineraries (helper C)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 19:45:00
"""

from collections.abc import Sequence

from alembic import op  # noqa: F401

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
