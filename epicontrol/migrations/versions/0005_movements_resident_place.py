"""index movements by resident, then place, then time

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:50:00

Replaces (resident_id, occurred_at): the new index serves the same per-resident reads, and also
the scan's "newest record of this person at this gate", which otherwise cost ~1 ms of PostgreSQL
CPU per scan (bench/RESULTS.md), without adding a tenth index to every insert.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_movements_resident_place_time",
            ["resident_id", "place_id", "occurred_at"],
            unique=False,
        )
        batch_op.drop_index("ix_movements_resident_time")


def downgrade() -> None:
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_movements_resident_time", ["resident_id", "occurred_at"], unique=False
        )
        batch_op.drop_index("ix_movements_resident_place_time")
