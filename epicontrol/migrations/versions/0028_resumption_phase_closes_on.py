"""resumption phases: the day a phase closes early

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 02:05:00

A phase takes approvals from opens_on and, once closed early, no more from closes_on on (NULL:
open-ended). No earlier release stored a closing day, so no row needs a value.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("resumption_phases", sa.Column("closes_on", sa.Date(), nullable=True))


def downgrade() -> None:
    # Not in batch mode: on SQLite that copies the table and drops the old one, which the
    # applications' foreign key refuses once phases are in use (`epicontrol demo --reset`
    # downgrades a full store). SQLite >= 3.35 drops a column in place.
    op.drop_column("resumption_phases", "closes_on")
