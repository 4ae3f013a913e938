"""reports: fever self-checks and public reports (tips) with their rate-limit rows

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "self_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("fever", sa.Boolean(), nullable=False),
        sa.Column("triage", sa.String(length=16), nullable=False),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.String(length=80), nullable=True),
        sa.Column("symptoms", sa.String(length=400), nullable=False),
        sa.Column("exposures", sa.String(length=200), nullable=False),
        sa.Column("travel", sa.Text(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("clinic_place_id", sa.Integer(), nullable=True),
        sa.Column("clear_note", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_self_checks_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["clinic_place_id"], ["places.id"], name=op.f("fk_self_checks_clinic_place_id_places")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_self_checks")),
    )
    with op.batch_alter_table("self_checks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_self_checks_resident_id"), ["resident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_self_checks_submitted_at"), ["submitted_at"], unique=False
        )

    _create_tips()


def _create_tips() -> None:
    op.create_table(
        "tips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("location_text", sa.String(length=300), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=True),
        sa.Column("contact_phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("contact_phone_masked", sa.String(length=16), nullable=True),
        sa.Column("reporter_resident_id", sa.Integer(), nullable=True),
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.Column("handled_by", sa.String(length=80), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["division_id"], ["divisions.id"], name=op.f("fk_tips_division_id_divisions")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_resident_id"],
            ["residents.id"],
            name=op.f("fk_tips_reporter_resident_id_residents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tips")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_tips_idempotency_key")),
    )
    with op.batch_alter_table("tips", schema=None) as batch_op:
        for column in ("client_hash", "content_hash", "division_id", "kind", "status"):
            batch_op.create_index(batch_op.f(f"ix_tips_{column}"), [column], unique=False)
        batch_op.create_index(batch_op.f("ix_tips_submitted_at"), ["submitted_at"], unique=False)
    op.create_table(
        "tip_clients",
        sa.Column("client_hash", sa.String(length=64), nullable=False),
        sa.Column("last_submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_hash", name=op.f("pk_tip_clients")),
    )


def downgrade() -> None:
    op.drop_table("tip_clients")
    op.drop_table("tips")
    op.drop_table("self_checks")
