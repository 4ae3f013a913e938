"""index movements by resident, then time, then place

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 02:00:00

Replaces 0005's (resident_id, place_id, occurred_at). A person's newest record before a time, at
any place (the previous place behind dashboard and daily-monitoring arrivals), had to read and
sort all of the person's records under that order; under this one it is the first entry walking
back from the time. The scan's "newest record of this person at this gate" walks back through the
person's records until one is at the gate, reading place_id from the index alone: measured on the
ingest path, no slower than before (bench/RESULTS.md "Command dashboard"). Still one index, so
every insert updates as many as before.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_movements_resident_time_place",
            ["resident_id", "occurred_at", "place_id"],
            unique=False,
        )
        batch_op.drop_index("ix_movements_resident_place_time")


def downgrade() -> None:
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_movements_resident_place_time",
            ["resident_id", "place_id", "occurred_at"],
            unique=False,
        )
        batch_op.drop_index("ix_movements_resident_time_place")
