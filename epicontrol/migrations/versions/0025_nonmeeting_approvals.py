"""non-meeting approvals (issue 9, helper H): catalogue items and versions, applications,
attachments, history

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "approval_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_items")),
        sa.UniqueConstraint("code", name=op.f("uq_approval_items_code")),
    )
    op.create_table(
        "approval_item_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("time_limit_days", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_approval_item_versions_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["approval_items.id"],
            name=op.f("fk_approval_item_versions_item_id_approval_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_item_versions")),
        sa.UniqueConstraint("item_id", "version", name=op.f("uq_approval_item_versions_item_id")),
    )
    op.create_index(
        op.f("ix_approval_item_versions_item_id"),
        "approval_item_versions",
        ["item_id"],
        unique=False,
    )
    op.create_table(
        "approval_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=24), nullable=False),
        sa.Column("item_version_id", sa.Integer(), nullable=False),
        sa.Column("applicant_user_id", sa.Integer(), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("division_path", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("current_step", sa.Integer(), nullable=False),
        sa.Column("reviewer_path", sa.String(length=200), nullable=True),
        sa.Column("answers_enc", sa.LargeBinary(), nullable=False),
        sa.Column("delivery", sa.String(length=16), nullable=False),
        sa.Column("address_enc", sa.LargeBinary(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("verification_code", sa.String(length=16), nullable=True),
        sa.Column("delivery_status", sa.String(length=16), nullable=True),
        sa.Column("courier_company", sa.String(length=16), nullable=True),
        sa.Column("tracking_number", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_user_id"],
            ["users.id"],
            name=op.f("fk_approval_applications_applicant_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["division_id"],
            ["divisions.id"],
            name=op.f("fk_approval_applications_division_id_divisions"),
        ),
        sa.ForeignKeyConstraint(
            ["item_version_id"],
            ["approval_item_versions.id"],
            name=op.f("fk_approval_applications_item_version_id_approval_item_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_applications")),
        sa.UniqueConstraint("reference", name=op.f("uq_approval_applications_reference")),
        sa.UniqueConstraint(
            "verification_code", name=op.f("uq_approval_applications_verification_code")
        ),
    )
    op.create_index(
        op.f("ix_approval_applications_applicant_user_id"),
        "approval_applications",
        ["applicant_user_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_approval_applications_reviewer_path"),
        "approval_applications",
        ["reviewer_path"],
        unique=False,
    )
    op.create_index(
        op.f("ix_approval_applications_status"), "approval_applications", ["status"], unique=False
    )
    op.create_table(
        "approval_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("requirement", sa.String(length=120), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=80), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["approval_applications.id"],
            name=op.f("fk_approval_attachments_application_id_approval_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_attachments")),
    )
    op.create_index(
        op.f("ix_approval_attachments_application_id"),
        "approval_attachments",
        ["application_id"],
        unique=False,
    )
    op.create_table(
        "approval_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_approval_events_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["approval_applications.id"],
            name=op.f("fk_approval_events_application_id_approval_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approval_events")),
    )
    op.create_index(
        op.f("ix_approval_events_application_id"),
        "approval_events",
        ["application_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_approval_events_application_id"), table_name="approval_events")
    op.drop_table("approval_events")
    op.drop_index(op.f("ix_approval_attachments_application_id"), table_name="approval_attachments")
    op.drop_table("approval_attachments")
    op.drop_index(op.f("ix_approval_applications_status"), table_name="approval_applications")
    op.drop_index(
        op.f("ix_approval_applications_reviewer_path"), table_name="approval_applications"
    )
    op.drop_index(
        op.f("ix_approval_applications_applicant_user_id"), table_name="approval_applications"
    )
    op.drop_table("approval_applications")
    op.drop_index(op.f("ix_approval_item_versions_item_id"), table_name="approval_item_versions")
    op.drop_table("approval_item_versions")
    op.drop_table("approval_items")
