"""agency grants, API keys, exchange statistics (helper H)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_exchange_api_keys_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by"],
            ["exchange_api_keys.id"],
            name=op.f("fk_exchange_api_keys_replaced_by_exchange_api_keys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_exchange_api_keys_prefix")),
    )
    op.create_index(
        op.f("ix_exchange_api_keys_agency"), "exchange_api_keys", ["agency"], unique=False
    )
    op.create_table(
        "exchange_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("dataset", sa.String(length=40), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("division_ids", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(length=400), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=400), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_exchange_grants_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_exchange_grants_requested_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_grants")),
    )
    op.create_index(op.f("ix_exchange_grants_agency"), "exchange_grants", ["agency"], unique=False)
    op.create_index(
        op.f("ix_exchange_grants_requested_by"), "exchange_grants", ["requested_by"], unique=False
    )
    op.create_table(
        "exchange_api_key_grants",
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["exchange_api_keys.id"],
            name=op.f("fk_exchange_api_key_grants_api_key_id_exchange_api_keys"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["exchange_grants.id"],
            name=op.f("fk_exchange_api_key_grants_grant_id_exchange_grants"),
        ),
        sa.PrimaryKeyConstraint("api_key_id", "grant_id", name=op.f("pk_exchange_api_key_grants")),
    )
    op.create_table(
        "exchange_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("dataset", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("format", sa.String(length=12), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["exchange_api_keys.id"],
            name=op.f("fk_exchange_requests_api_key_id_exchange_api_keys"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["exchange_grants.id"],
            name=op.f("fk_exchange_requests_grant_id_exchange_grants"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_exchange_requests_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_requests")),
    )
    op.create_index(
        op.f("ix_exchange_requests_started_at"), "exchange_requests", ["started_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_exchange_requests_started_at"), table_name="exchange_requests")
    op.drop_table("exchange_requests")
    op.drop_table("exchange_api_key_grants")
    op.drop_index(op.f("ix_exchange_grants_requested_by"), table_name="exchange_grants")
    op.drop_index(op.f("ix_exchange_grants_agency"), table_name="exchange_grants")
    op.drop_table("exchange_grants")
    op.drop_index(op.f("ix_exchange_api_keys_agency"), table_name="exchange_api_keys")
    op.drop_table("exchange_api_keys")
