"""record linkage: incoming records, scored candidate pairs, clerical review, runs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "linkage_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("source_ref", sa.String(length=120), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("name_enc", sa.LargeBinary(), nullable=True),
        sa.Column("name_masked", sa.String(length=40), nullable=False),
        sa.Column("id_number_hash", sa.String(length=64), nullable=True),
        sa.Column("id_number_enc", sa.LargeBinary(), nullable=True),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("birth_date_enc", sa.LargeBinary(), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("linked_by", sa.String(length=12), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_linkage_records_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["division_id"], ["divisions.id"], name=op.f("fk_linkage_records_division_id_divisions")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_linkage_records_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_records")),
        sa.UniqueConstraint("source", "source_ref", name=op.f("uq_linkage_records_source")),
    )
    op.create_index(
        op.f("ix_linkage_records_division_id"), "linkage_records", ["division_id"], unique=False
    )
    op.create_index(
        op.f("ix_linkage_records_id_number_hash"),
        "linkage_records",
        ["id_number_hash"],
        unique=False,
    )
    op.create_index(
        op.f("ix_linkage_records_phone_hash"), "linkage_records", ["phone_hash"], unique=False
    )
    op.create_index(
        op.f("ix_linkage_records_resident_id"), "linkage_records", ["resident_id"], unique=False
    )
    op.create_index(
        op.f("ix_linkage_records_source_id"), "linkage_records", ["source_id"], unique=False
    )
    op.create_index(op.f("ix_linkage_records_status"), "linkage_records", ["status"], unique=False)
    op.create_table(
        "linkage_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("candidate_pairs", sa.Integer(), nullable=False),
        sa.Column("auto_linked", sa.Integer(), nullable=False),
        sa.Column("queued_for_review", sa.Integer(), nullable=False),
        sa.Column("unmatched", sa.Integer(), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["division_id"], ["divisions.id"], name=op.f("fk_linkage_runs_division_id_divisions")
        ),
        sa.ForeignKeyConstraint(
            ["started_by"], ["users.id"], name=op.f("fk_linkage_runs_started_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_runs")),
    )
    op.create_index(
        op.f("ix_linkage_runs_division_id"), "linkage_runs", ["division_id"], unique=False
    )
    op.create_table(
        "linkage_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=False),
        sa.Column("weights", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_linkage_pairs_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["linkage_records.id"],
            name=op.f("fk_linkage_pairs_record_id_linkage_records"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_linkage_pairs_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["linkage_runs.id"], name=op.f("fk_linkage_pairs_run_id_linkage_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_pairs")),
        sa.UniqueConstraint("record_id", "resident_id", name=op.f("uq_linkage_pairs_record_id")),
    )
    op.create_index(
        op.f("ix_linkage_pairs_record_id"), "linkage_pairs", ["record_id"], unique=False
    )
    op.create_index(
        op.f("ix_linkage_pairs_resident_id"), "linkage_pairs", ["resident_id"], unique=False
    )
    op.create_index(op.f("ix_linkage_pairs_run_id"), "linkage_pairs", ["run_id"], unique=False)
    op.create_index(op.f("ix_linkage_pairs_state"), "linkage_pairs", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_linkage_pairs_state"), table_name="linkage_pairs")
    op.drop_index(op.f("ix_linkage_pairs_run_id"), table_name="linkage_pairs")
    op.drop_index(op.f("ix_linkage_pairs_resident_id"), table_name="linkage_pairs")
    op.drop_index(op.f("ix_linkage_pairs_record_id"), table_name="linkage_pairs")
    op.drop_table("linkage_pairs")
    op.drop_index(op.f("ix_linkage_runs_division_id"), table_name="linkage_runs")
    op.drop_table("linkage_runs")
    op.drop_index(op.f("ix_linkage_records_status"), table_name="linkage_records")
    op.drop_index(op.f("ix_linkage_records_source_id"), table_name="linkage_records")
    op.drop_index(op.f("ix_linkage_records_resident_id"), table_name="linkage_records")
    op.drop_index(op.f("ix_linkage_records_phone_hash"), table_name="linkage_records")
    op.drop_index(op.f("ix_linkage_records_id_number_hash"), table_name="linkage_records")
    op.drop_index(op.f("ix_linkage_records_division_id"), table_name="linkage_records")
    op.drop_table("linkage_records")
