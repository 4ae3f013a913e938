"""enterprise resumption (issue 9): companies, representatives, employee lists, phases, applications

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("sector", sa.String(length=80), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("workforce", sa.Integer(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("measures_note", sa.Text(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["division_id"], ["divisions.id"], name=op.f("fk_enterprises_division_id_divisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_enterprises_credit_code")),
    )
    op.create_index(op.f("ix_enterprises_category"), "enterprises", ["category"], unique=False)
    op.create_index(
        op.f("ix_enterprises_division_id"), "enterprises", ["division_id"], unique=False
    )
    op.create_table(
        "enterprise_employees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("id_number_hash", sa.String(length=64), nullable=False),
        sa.Column("name_enc", sa.LargeBinary(), nullable=False),
        sa.Column("name_masked", sa.String(length=40), nullable=False),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_employees_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_enterprise_employees_resident_id_residents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_employees")),
        sa.UniqueConstraint(
            "enterprise_id", "id_number_hash", name=op.f("uq_enterprise_employees_enterprise_id")
        ),
    )
    op.create_index(
        op.f("ix_enterprise_employees_enterprise_id"),
        "enterprise_employees",
        ["enterprise_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_enterprise_employees_resident_id"),
        "enterprise_employees",
        ["resident_id"],
        unique=False,
    )
    op.create_table(
        "enterprise_members",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_members_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_enterprise_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_enterprise_members")),
    )
    op.create_index(
        op.f("ix_enterprise_members_enterprise_id"),
        "enterprise_members",
        ["enterprise_id"],
        unique=False,
    )
    op.create_table(
        "resumption_phases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("categories", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_resumption_phases_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["division_id"],
            ["divisions.id"],
            name=op.f("fk_resumption_phases_division_id_divisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resumption_phases")),
        sa.UniqueConstraint("division_id", "number", name=op.f("uq_resumption_phases_division_id")),
    )
    op.create_index(
        op.f("ix_resumption_phases_division_id"), "resumption_phases", ["division_id"], unique=False
    )
    op.create_table(
        "resumption_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=True),
        sa.Column("submitted_by", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=400), nullable=False),
        sa.Column("yellow_measure", sa.String(length=400), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_resumption_applications_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_resumption_applications_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["phase_id"],
            ["resumption_phases.id"],
            name=op.f("fk_resumption_applications_phase_id_resumption_phases"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"],
            ["users.id"],
            name=op.f("fk_resumption_applications_submitted_by_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resumption_applications")),
        sa.UniqueConstraint("enterprise_id", name=op.f("uq_resumption_applications_enterprise_id")),
    )
    op.create_index(
        op.f("ix_resumption_applications_phase_id"),
        "resumption_applications",
        ["phase_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_resumption_applications_status"),
        "resumption_applications",
        ["status"],
        unique=False,
    )
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(op.f("ix_resumption_applications_status"), table_name="resumption_applications")
    op.drop_index(op.f("ix_resumption_applications_phase_id"), table_name="resumption_applications")
    op.drop_table("resumption_applications")
    op.drop_index(op.f("ix_resumption_phases_division_id"), table_name="resumption_phases")
    op.drop_table("resumption_phases")
    op.drop_index(op.f("ix_enterprise_members_enterprise_id"), table_name="enterprise_members")
    op.drop_table("enterprise_members")
    op.drop_index(op.f("ix_enterprise_employees_resident_id"), table_name="enterprise_employees")
    op.drop_index(op.f("ix_enterprise_employees_enterprise_id"), table_name="enterprise_employees")
    op.drop_table("enterprise_employees")
    op.drop_index(op.f("ix_enterprises_division_id"), table_name="enterprises")
    op.drop_index(op.f("ix_enterprises_category"), table_name="enterprises")
    op.drop_table("enterprises")
    # ### end Alembic commands ###
