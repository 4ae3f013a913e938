"""Retention of personal data: every personal table, its window, and what expiry means for it.

A table holding personal data is either in RULES (a window from Settings, the column that dates
a row, and whether an expired row is deleted or anonymised because it must stay for counts) or
in EXEMPT with the reason it is not purged by age. tests/core/test_retention.py walks the
metadata so that a new personal table cannot be forgotten.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal, cast

from sqlalchemy import Date, delete, func, or_, select, update
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.db import Base, utcnow
from epicontrol.core.periodic import PeriodicWorker
from epicontrol.core.settings import Settings

CHUNK_ROWS = 5_000  # rows per transaction: short write locks on SQLite


@dataclass(frozen=True, slots=True)
class Rule:
    """How long one table's rows are kept, and what happens after."""

    table: str
    date_column: str  # a row expires `window` days after this; NULL never expires
    window_setting: str  # the Settings field holding the window in days
    action: Literal["delete", "anonymise"]
    why: str
    anonymise: Mapping[str, Any] = field(default_factory=dict)  # column -> value it gets
    children: tuple[tuple[str, str], ...] = ()  # (table, column referencing this one's id)
    # "module:function" called as f(db, settings, now) after the table's chunks are committed,
    # on every run (also when nothing expired), for what lives outside the database (files);
    # it returns how many files it deleted. A name, not the function: core does not import
    # the domains.
    after_commit: str | None = None


# Windows: DESIGN.md's 28 days for movements; 60 days (four 14-day observation periods) for
# day-to-day health reports; longer for records an epidemiological review may still need.
RULES: tuple[Rule, ...] = (
    Rule("movements", "day", "retention_days", "delete", "SafeEntry kept 25 days, we keep 28",
         children=(("temperature_alerts", "movement_id"),)),
    Rule("daily_reports", "day", "retention_daily_report_days", "delete",
         "only needed during and shortly after an observation period"),
    Rule("self_checks", "submitted_at", "retention_self_check_days", "delete",
         "fever follow-up ends within days; risk evidence expires before the window"),
    Rule("survey_responses", "submitted_at", "retention_survey_response_days", "anonymise",
         "answers stay for the survey's results, without the resident",
         anonymise={"resident_id": None}),
    Rule("tips", "submitted_at", "retention_tip_days", "anonymise",
         "reports stay for counts; the reporter's contact details go",
         anonymise={"contact_phone_enc": None, "contact_phone_masked": None,
                    "reporter_resident_id": None}),
    Rule("consultations", "slot_at", "retention_consultation_days", "delete",
         "a booking is of no use once its slot is long past"),
    Rule("grid_tasks", "completed_at", "retention_grid_task_days", "anonymise",
         "completed tasks stay for workload counts, without the person",
         anonymise={"resident_id": None, "household_id": None}),
    Rule("clinic_registrations", "created_at", "retention_clinic_registration_days",
         "anonymise", "visits stay for fever-clinic counts; identity and contact go",
         anonymise={"resident_id": None, "id_number_enc": None, "name_enc": b"",
                    "name_masked": "*", "phone_hash": None, "phone_enc": None,
                    "birth_date": None}),
    Rule("linkage_records", "created_at", "retention_linkage_record_days", "delete",
         "agency lists are loaded for one linkage, not kept",
         children=(("linkage_pairs", "record_id"),)),
    Rule("mask_reservations", "created_at", "retention_mask_reservation_days", "delete",
         "a round's lottery can be re-run while its pick-up is recent"),
    Rule("market_reports", "created_at", "retention_market_report_days", "anonymise",
         "reports stay as a seller's evidence; who reported and their photo go",
         anonymise={"reporter_user_id": None, "photo_file": None, "photo_type": None},
         after_commit="epicontrol.market.reports:delete_unreferenced_photos"),
    Rule("estate_registrations", "registered_at", "retention_estate_registration_days",
         "delete", "entry registrations matter while an estate is closed"),
    Rule("enterprise_employees", "uploaded_at", "retention_enterprise_employee_days", "delete",
         "a company's employee list serves its resumption check; it uploads a fresh one"),
    Rule("labour_applications", "updated_at", "retention_labour_days", "delete",
         "a job application is of no use once the job is long filled or refused"),
    Rule("labour_profiles", "updated_at", "retention_labour_days", "delete",
         "an offer of work not renewed is stale; the resident makes a new one"),
    Rule("contacts", "last_exposure_at", "retention_contact_days", "delete",
         "close contacts matter for chains under review",
         children=(("contact_exposures", "contact_id"), ("follow_ups", "contact_id"))),
    Rule("observations", "ends_on", "retention_observation_days", "delete",
         "observation history after it ends",
         children=(("observation_sources", "observation_id"),)),
    Rule("risk_evidence", "expires_at", "retention_risk_record_days", "delete",
         "expired evidence explains a past status for a while (appeals)"),
    Rule("risk_appeals", "decided_at", "retention_risk_record_days", "delete",
         "a decided appeal, kept for complaints about it"),
    Rule("personal_passes", "revoked_at", "retention_risk_record_days", "delete",
         "a revoked pass, kept to answer a checkpoint's question about it"),
    Rule("login_failures", "at", "retention_login_failure_days", "delete",
         "counted for the login window (minutes); a day's kept to look into a guessing run"),
)  # fmt: skip

EXEMPT: dict[str, str] = {
    "residents": "the base register: a person leaves it by an administrative act, not by age",
    "households": "the base register, like residents",
    "users": "logins: deactivated by an administrator, kept for the audit log's actors",
    "cases": "notifiable-disease case reports are kept under the infectious disease law",
    "risk_statuses": "one current row per resident, replaced, never accumulating",
    "tip_clients": "forgotten within a day by reports/tips_forget.py (rate-limit hashes)",
    "clinic_profiles": "a clinic's public telephone number, not a person's",
    "audit_log": "the audit trail itself: append-only, its own retention is a legal decision",
    "approval_applications": "licensing files (answers, courier address) are archived under the "
    "archives rules for administrative licensing, not purged by age (docs/economy-approvals.md)",
    "approval_attachments": "the documents of a licensing file, archived with its application",
}


@dataclass(frozen=True, slots=True)
class TableResult:
    """What a purge did (or, dry, would do) to one table."""

    table: str
    action: str
    window_days: int
    cutoff: str
    rows: int
    files: int = 0  # files deleted by the rule's after_commit step


def _cutoff(column: Any, now: datetime, days: int) -> date | datetime:
    moment = now - timedelta(days=days)
    return moment.date() if isinstance(column.type, Date) else moment


def _expired(rule: Rule, now: datetime, settings: Settings) -> tuple[Any, Any, date | datetime]:
    table = Base.metadata.tables[rule.table]
    column = table.c[rule.date_column]
    cutoff = _cutoff(column, now, getattr(settings, rule.window_setting))
    condition = column < cutoff
    if rule.action == "anonymise":
        # Only rows not anonymised yet: a rerun changes (and counts) nothing twice.
        condition = condition & or_(
            *(
                table.c[name].is_not(None) if value is None else table.c[name] != value
                for name, value in rule.anonymise.items()
            )
        )
    return table, condition, cutoff


def plan(db: Session, *, settings: Settings, now: datetime) -> list[TableResult]:
    """What a purge would do now, table by table; changes nothing."""
    results = []
    for rule in RULES:
        table, condition, cutoff = _expired(rule, now, settings)
        rows = db.scalar(select(func.count()).select_from(table).where(condition)) or 0
        results.append(_result(rule, settings, cutoff, rows))
    return results


def purge(
    db: Session,
    *,
    settings: Settings,
    now: datetime,
    actor: Principal | str | None,
    purpose: str,
    on_table: Callable[[TableResult], None] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> list[TableResult]:
    """Delete or anonymise every expired row, a chunk per transaction (this commits: pass a
    session of its own), then audit the counts in one entry. Restartable: a rerun finishes."""
    results = []
    for rule in RULES:
        table, condition, cutoff = _expired(rule, now, settings)
        rows = _purge_table(db, rule, table, condition, chunk_rows)
        files = 0
        if rule.after_commit is not None:
            files = after_commit(rule.after_commit)(db, settings, now)
        result = _result(rule, settings, cutoff, rows, files)
        results.append(result)
        if on_table is not None:
            on_table(result)
    audit.record(
        db,
        actor=actor,
        action="purge",
        entity="retention",
        purpose=purpose,
        detail={r.table: _detail(r) for r in results if r.rows or r.files},
    )
    db.commit()
    return results


def _purge_table(db: Session, rule: Rule, table: Any, condition: Any, chunk_rows: int) -> int:
    key = table.c.id
    done = 0
    while True:
        ids = list(db.scalars(select(key).where(condition).order_by(key).limit(chunk_rows)))
        if not ids:
            return done
        if rule.action == "delete":
            # Dependants explicitly: SQLite only cascades where foreign keys are switched on.
            for child, column in rule.children:
                child_table = Base.metadata.tables[child]
                db.execute(delete(child_table).where(child_table.c[column].in_(ids)))
            db.execute(delete(table).where(key.in_(ids)))
        else:
            db.execute(update(table).where(key.in_(ids)).values(dict(rule.anonymise)))
        db.commit()
        done += len(ids)


def after_commit(name: str) -> Callable[[Session, Settings, datetime], int]:
    """The function a rule's after_commit names."""
    module, _, function = name.partition(":")
    found = getattr(importlib.import_module(module), function)
    return cast(Callable[[Session, Settings, datetime], int], found)


def _detail(result: TableResult) -> dict[str, Any]:
    detail: dict[str, Any] = {"rows": result.rows, "cutoff": result.cutoff}
    if result.files:
        detail["files"] = result.files
    return detail


def _result(
    rule: Rule, settings: Settings, cutoff: date | datetime, rows: int, files: int = 0
) -> TableResult:
    days = getattr(settings, rule.window_setting)
    return TableResult(rule.table, rule.action, days, cutoff.isoformat(), rows, files)


# The background purge takes smaller bites than the command line: it runs while requests write,
# and on SQLite each chunk holds the one write lock (a few milliseconds for 500 rows).
BACKGROUND_CHUNK_ROWS = 500


class RetentionWorker(PeriodicWorker):
    """The whole registry purged at start and then every interval, each run audited (one entry
    with the counts). Idempotent, so every process of a multi-worker server may run one."""

    def __init__(
        self, sessions: Callable[[], Session], *, settings: Settings, interval_seconds: float
    ) -> None:
        super().__init__(
            name="epicontrol-retention-registry",
            interval_seconds=interval_seconds,
            stop_timeout=30.0,
        )
        self.runs = 0
        self.last_results: list[TableResult] = []
        self._sessions = sessions
        self._settings = settings

    def tick(self) -> None:
        with self._sessions() as session:
            self.last_results = purge(
                session,
                settings=self._settings,
                now=utcnow(),
                actor="retention-scheduler",
                purpose="retention windows (scheduled)",
                chunk_rows=BACKGROUND_CHUNK_ROWS,
            )
        self.runs += 1
        return None


def start_retention_worker(
    sessions: Callable[[], Session], *, settings: Settings
) -> RetentionWorker | None:
    """Start purging every retention_purge_interval_seconds; None when that is 0 (off)."""
    if settings.retention_purge_interval_seconds <= 0:
        return None
    return RetentionWorker(
        sessions, settings=settings, interval_seconds=settings.retention_purge_interval_seconds
    ).start()
