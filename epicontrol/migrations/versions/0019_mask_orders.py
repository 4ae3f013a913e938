"""mask supply, quotas, reservations and pickups (helper F)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 19:45:00
"""

from collections.abc import Sequence

from alembic import op  # noqa: F401

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
