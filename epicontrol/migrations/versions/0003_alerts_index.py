"""index temperature alerts by movement

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:14:38.409510
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("temperature_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_temperature_alerts_movement_id"), ["movement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("temperature_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_temperature_alerts_movement_id"))
