"""portal articles: releases, rumor rebuttals, basic facts

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("title_zh", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_portal_articles_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_portal_articles_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_articles")),
    )
    op.create_index(
        "ix_portal_articles_kind_state",
        "portal_articles",
        ["kind", "state", "published_at"],
        unique=False,
    )
    op.create_index("ix_portal_articles_slug", "portal_articles", ["slug"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_portal_articles_slug", table_name="portal_articles")
    op.drop_index("ix_portal_articles_kind_state", table_name="portal_articles")
    op.drop_table("portal_articles")
