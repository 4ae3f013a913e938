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
    with op.batch_alter_table("resumption_phases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closes_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resumption_phases", schema=None) as batch_op:
        batch_op.drop_column("closes_on")
