"""fever-clinic hours and online consultations (helper B)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 19:45:00
"""

from collections.abc import Sequence

from alembic import op  # noqa: F401

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
