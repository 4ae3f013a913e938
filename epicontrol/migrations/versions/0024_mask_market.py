"""mask market monitoring (issue 9): sellers, reports, reference prices, cases (helper G)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "market_sellers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("licence_number", sa.String(length=18), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.ForeignKeyConstraint(
            ["division_id"], ["divisions.id"], name=op.f("fk_market_sellers_division_id_divisions")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["market_sellers.id"],
            name=op.f("fk_market_sellers_merged_into_id_market_sellers"),
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_market_sellers_place_id_places")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_sellers")),
    )
    op.create_index(
        op.f("ix_market_sellers_division_id"), "market_sellers", ["division_id"], unique=False
    )
    op.create_table(
        "market_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("open_seller_id", sa.Integer(), nullable=True),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opened_by", sa.Integer(), nullable=False),
        sa.Column("opened_at", MOMENT, nullable=False),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("inspected_on", sa.Date(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("samples", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("fine_fen", sa.Integer(), nullable=True),
        sa.Column("closed_at", MOMENT, nullable=True),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "outcome <> 'fine' OR fine_fen > 0", name=op.f("ck_market_cases_fine_has_amount")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"], ["users.id"], name=op.f("fk_market_cases_assignee_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["users.id"], name=op.f("fk_market_cases_closed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["division_id"], ["divisions.id"], name=op.f("fk_market_cases_division_id_divisions")
        ),
        sa.ForeignKeyConstraint(
            ["open_seller_id"],
            ["market_sellers.id"],
            name=op.f("fk_market_cases_open_seller_id_market_sellers"),
        ),
        sa.ForeignKeyConstraint(
            ["opened_by"], ["users.id"], name=op.f("fk_market_cases_opened_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["market_sellers.id"],
            name=op.f("fk_market_cases_seller_id_market_sellers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_cases")),
        sa.UniqueConstraint("open_seller_id", name="uq_market_cases_open_seller"),
    )
    op.create_index(
        op.f("ix_market_cases_division_id"), "market_cases", ["division_id"], unique=False
    )
    op.create_index(op.f("ix_market_cases_seller_id"), "market_cases", ["seller_id"], unique=False)
    op.create_table(
        "market_reference_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product", sa.String(length=16), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("max_unit_fen", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.CheckConstraint(
            "max_unit_fen > 0", name=op.f("ck_market_reference_prices_positive_ceiling")
        ),
        sa.ForeignKeyConstraint(
            ["division_id"],
            ["divisions.id"],
            name=op.f("fk_market_reference_prices_division_id_divisions"),
        ),
        sa.ForeignKeyConstraint(
            ["set_by"], ["users.id"], name=op.f("fk_market_reference_prices_set_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_reference_prices")),
    )
    op.create_index(
        op.f("ix_market_reference_prices_division_id"),
        "market_reference_prices",
        ["division_id"],
        unique=False,
    )
    op.create_table(
        "market_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reporter_user_id", sa.Integer(), nullable=True),
        sa.Column("by_inspector", sa.Boolean(), nullable=False),
        sa.Column("product", sa.String(length=16), nullable=True),
        sa.Column("pack_size", sa.Integer(), nullable=True),
        sa.Column("price_fen", sa.Integer(), nullable=True),
        sa.Column("complaint_kind", sa.String(length=24), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("photo_file", sa.String(length=80), nullable=True),
        sa.Column("photo_type", sa.String(length=16), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("outcome_seen_at", MOMENT, nullable=True),
        sa.CheckConstraint(
            "kind <> 'complaint' OR complaint_kind IS NOT NULL",
            name=op.f("ck_market_reports_complaint_kind"),
        ),
        sa.CheckConstraint(
            "kind <> 'price' OR (product IS NOT NULL AND pack_size > 0 AND price_fen > 0)",
            name=op.f("ck_market_reports_price_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["reporter_user_id"],
            ["users.id"],
            name=op.f("fk_market_reports_reporter_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["seller_id"],
            ["market_sellers.id"],
            name=op.f("fk_market_reports_seller_id_market_sellers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_reports")),
    )
    for column in ("observed_on", "reporter_user_id", "seller_id"):
        op.create_index(
            op.f(f"ix_market_reports_{column}"), "market_reports", [column], unique=False
        )
    op.create_table(
        "market_case_reports",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["market_cases.id"],
            name=op.f("fk_market_case_reports_case_id_market_cases"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["market_reports.id"],
            name=op.f("fk_market_case_reports_report_id_market_reports"),
        ),
        sa.PrimaryKeyConstraint("case_id", "report_id", name=op.f("pk_market_case_reports")),
    )
    op.create_index(
        op.f("ix_market_case_reports_report_id"),
        "market_case_reports",
        ["report_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_market_case_reports_report_id"), table_name="market_case_reports")
    op.drop_table("market_case_reports")
    for column in ("seller_id", "reporter_user_id", "observed_on"):
        op.drop_index(op.f(f"ix_market_reports_{column}"), table_name="market_reports")
    op.drop_table("market_reports")
    op.drop_index(
        op.f("ix_market_reference_prices_division_id"), table_name="market_reference_prices"
    )
    op.drop_table("market_reference_prices")
    op.drop_index(op.f("ix_market_cases_seller_id"), table_name="market_cases")
    op.drop_index(op.f("ix_market_cases_division_id"), table_name="market_cases")
    op.drop_table("market_cases")
    op.drop_index(op.f("ix_market_sellers_division_id"), table_name="market_sellers")
    op.drop_table("market_sellers")
