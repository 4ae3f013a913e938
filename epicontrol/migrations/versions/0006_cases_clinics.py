"""cases: investigations, travel histories, fever clinics

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_investigations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("exposure_summary", sa.Text(), nullable=False),
        sa.Column("symptoms", sa.String(length=400), nullable=False),
        sa.Column("investigated_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_investigations_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_investigations")),
        sa.UniqueConstraint("case_id", name=op.f("uq_case_investigations_case_id")),
    )
    op.create_table(
        "case_travel_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("place_text", sa.String(length=300), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_travel_entries_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_case_travel_entries_place_id_places")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_travel_entries")),
    )
    with op.batch_alter_table("case_travel_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_travel_entries_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "clinic_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("id_number_hash", sa.String(length=64), nullable=True),
        sa.Column("id_number_enc", sa.LargeBinary(), nullable=True),
        sa.Column("is_id_number_valid", sa.Boolean(), nullable=False),
        sa.Column("name_enc", sa.LargeBinary(), nullable=False),
        sa.Column("name_masked", sa.String(length=40), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=True),
        sa.Column("phone_enc", sa.LargeBinary(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("symptoms", sa.String(length=400), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sampled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.String(length=8), nullable=True),
        sa.Column("result_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("registered_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_by", sa.String(length=80), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_clinic_registrations_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["division_id"],
            ["divisions.id"],
            name=op.f("fk_clinic_registrations_division_id_divisions"),
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_clinic_registrations_place_id_places")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_clinic_registrations_resident_id_residents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_registrations")),
    )
    with op.batch_alter_table("clinic_registrations", schema=None) as batch_op:
        for column in (
            "case_id",
            "division_id",
            "id_number_hash",
            "phone_hash",
            "place_id",
            "resident_id",
            "status",
        ):
            batch_op.create_index(
                batch_op.f(f"ix_clinic_registrations_{column}"), [column], unique=False
            )


def downgrade() -> None:
    op.drop_table("clinic_registrations")
    op.drop_table("case_travel_entries")
    op.drop_table("case_investigations")
