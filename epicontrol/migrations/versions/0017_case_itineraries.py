"""published case itineraries (helper C)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_public_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_public_numbers_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_public_numbers")),
        sa.UniqueConstraint("case_id", name=op.f("uq_case_public_numbers_case_id")),
        sa.UniqueConstraint("number", name=op.f("uq_case_public_numbers_number")),
    )
    op.create_table(
        "case_itineraries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("public_number", sa.Integer(), nullable=True),
        sa.Column("age_band", sa.Integer(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("left_out", sa.Integer(), nullable=False),
        sa.Column("drafted_by_id", sa.Integer(), nullable=False),
        sa.Column("edited_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdraw_reason", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_itineraries_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["division_id"],
            ["divisions.id"],
            name=op.f("fk_case_itineraries_division_id_divisions"),
        ),
        sa.ForeignKeyConstraint(
            ["drafted_by_id"], ["users.id"], name=op.f("fk_case_itineraries_drafted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["edited_by_id"], ["users.id"], name=op.f("fk_case_itineraries_edited_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_case_itineraries_approved_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["users.id"],
            name=op.f("fk_case_itineraries_withdrawn_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_itineraries")),
    )
    op.create_index(
        op.f("ix_case_itineraries_case_id"), "case_itineraries", ["case_id"], unique=False
    )
    op.create_index(
        op.f("ix_case_itineraries_division_id"), "case_itineraries", ["division_id"], unique=False
    )
    op.create_index(
        "ix_case_itineraries_state_published",
        "case_itineraries",
        ["state", "published_at"],
        unique=False,
    )
    op.create_table(
        "case_itinerary_stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("itinerary_id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("place_name", sa.String(length=160), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("place_kind", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["itinerary_id"],
            ["case_itineraries.id"],
            name=op.f("fk_case_itinerary_stops_itinerary_id_case_itineraries"),
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_case_itinerary_stops_place_id_places")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_itinerary_stops")),
    )
    op.create_index(
        op.f("ix_case_itinerary_stops_itinerary_id"),
        "case_itinerary_stops",
        ["itinerary_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_case_itinerary_stops_place_id"),
        "case_itinerary_stops",
        ["place_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_case_itinerary_stops_place_id"), table_name="case_itinerary_stops")
    op.drop_index(op.f("ix_case_itinerary_stops_itinerary_id"), table_name="case_itinerary_stops")
    op.drop_table("case_itinerary_stops")
    op.drop_index("ix_case_itineraries_state_published", table_name="case_itineraries")
    op.drop_index(op.f("ix_case_itineraries_division_id"), table_name="case_itineraries")
    op.drop_index(op.f("ix_case_itineraries_case_id"), table_name="case_itineraries")
    op.drop_table("case_itineraries")
    op.drop_table("case_public_numbers")
