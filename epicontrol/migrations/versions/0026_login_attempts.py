"""core hardening: login attempts across workers (issue 8)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username_hash", sa.String(length=64), nullable=True),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_username_hash_at", "login_failures", ["username_hash", "at"])
    op.create_index("ix_login_failures_client_hash_at", "login_failures", ["client_hash", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_client_hash_at", table_name="login_failures")
    op.drop_index("ix_login_failures_username_hash_at", table_name="login_failures")
    op.drop_table("login_failures")
