"""cases, tracing runs, contacts, exposures, follow-ups

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:35:16.888471
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=24), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("onset_date", sa.Date(), nullable=True),
        sa.Column("sampling_date", sa.Date(), nullable=True),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("isolated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["division_id"], ["divisions.id"], name=op.f("fk_cases_division_id_divisions")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_cases_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("case_number", name=op.f("uq_cases_case_number")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_division_id"), ["division_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_status"), ["status"], unique=False)

    op.create_table(
        "tracing_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=80), nullable=False),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("contacts_found", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_tracing_runs_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracing_runs")),
    )
    with op.batch_alter_table("tracing_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tracing_runs_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_tracing_runs_status_id", ["status", "id"], unique=False)

    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("contact_resident_id", sa.Integer(), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("degree", sa.SmallInteger(), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("via_resident_id", sa.Integer(), nullable=True),
        sa.Column("first_exposure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_exposure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("observation_ends_on", sa.Date(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_contacts_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["contact_resident_id"],
            ["residents.id"],
            name=op.f("fk_contacts_contact_resident_id_residents"),
        ),
        sa.ForeignKeyConstraint(
            ["division_id"], ["divisions.id"], name=op.f("fk_contacts_division_id_divisions")
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_contacts_place_id_places")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["tracing_runs.id"], name=op.f("fk_contacts_run_id_tracing_runs")
        ),
        sa.ForeignKeyConstraint(
            ["via_resident_id"],
            ["residents.id"],
            name=op.f("fk_contacts_via_resident_id_residents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint(
            "case_id", "contact_resident_id", "degree", name=op.f("uq_contacts_case_id")
        ),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contacts_contact_resident_id"), ["contact_resident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_contacts_division_id"), ["division_id"], unique=False)

    op.create_table(
        "contact_exposures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("via_resident_id", sa.Integer(), nullable=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_exposures_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_contact_exposures_place_id_places")
        ),
        sa.ForeignKeyConstraint(
            ["via_resident_id"],
            ["residents.id"],
            name=op.f("fk_contact_exposures_via_resident_id_residents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_exposures")),
    )
    with op.batch_alter_table("contact_exposures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_exposures_contact_id"), ["contact_id"], unique=False
        )

    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("note", sa.String(length=400), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_follow_ups_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("contact_id", "day", name=op.f("uq_follow_ups_contact_id")),
    )


def downgrade() -> None:
    op.drop_table("follow_ups")
    with op.batch_alter_table("contact_exposures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_exposures_contact_id"))

    op.drop_table("contact_exposures")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_division_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_contact_resident_id"))

    op.drop_table("contacts")
    with op.batch_alter_table("tracing_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_tracing_runs_status_id")
        batch_op.drop_index(batch_op.f("ix_tracing_runs_case_id"))

    op.drop_table("tracing_runs")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_status"))
        batch_op.drop_index(batch_op.f("ix_cases_resident_id"))
        batch_op.drop_index(batch_op.f("ix_cases_division_id"))

    op.drop_table("cases")
