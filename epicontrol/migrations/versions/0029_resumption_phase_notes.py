"""resumption phases: what a phase is for, in the officer's words

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 02:30:00

A phase may carry a note ("保障类企业优先 essential supplies first"), shown to officers and on
the public whitelist; NULL: none. Existing phases have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("resumption_phases", sa.Column("notes", sa.String(length=500), nullable=True))


def downgrade() -> None:
    # Not in batch mode, as in 0028: SQLite's batch copy of resumption_phases is refused by the
    # applications' foreign key once phases are in use. SQLite >= 3.35 drops a column in place.
    op.drop_column("resumption_phases", "notes")
