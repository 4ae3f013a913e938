"""risk status: statuses with their evidence, appeals

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "risk_statuses",
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_risk_statuses_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("resident_id", name=op.f("pk_risk_statuses")),
    )
    with op.batch_alter_table("risk_statuses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_statuses_changes_at"), ["changes_at"])
        batch_op.create_index(batch_op.f("ix_risk_statuses_computed_at"), ["computed_at"])

    op.create_table(
        "risk_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=24), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("source_table", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overridden_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_risk_evidence_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_evidence")),
    )
    with op.batch_alter_table("risk_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_evidence_resident_id"), ["resident_id"])
        batch_op.create_index("ix_risk_evidence_source", ["source_table", "source_id"])

    op.create_table(
        "risk_appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("colour_appealed", sa.String(length=8), nullable=False),
        sa.Column("submitted_by", sa.String(length=80), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=1000), nullable=False),
        sa.Column("override_colour", sa.String(length=8), nullable=True),
        sa.Column("override_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_risk_appeals_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_appeals")),
    )
    with op.batch_alter_table("risk_appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_appeals_resident_id"), ["resident_id"])
        batch_op.create_index(batch_op.f("ix_risk_appeals_state"), ["state"])


def downgrade() -> None:
    with op.batch_alter_table("risk_appeals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_appeals_state"))
        batch_op.drop_index(batch_op.f("ix_risk_appeals_resident_id"))
    op.drop_table("risk_appeals")
    with op.batch_alter_table("risk_evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_evidence_source")
        batch_op.drop_index(batch_op.f("ix_risk_evidence_resident_id"))
    op.drop_table("risk_evidence")
    with op.batch_alter_table("risk_statuses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_statuses_computed_at"))
        batch_op.drop_index(batch_op.f("ix_risk_statuses_changes_at"))
    op.drop_table("risk_statuses")
