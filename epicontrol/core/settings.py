"""Deployment settings, read once from the environment (prefix EPICONTROL_)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# A fixed key lets `make demo` run with no set-up; production must set its own
# (`epicontrol serve` refuses the demo key unless EPICONTROL_ALLOW_DEMO_SECRET=1).
DEMO_SECRET_KEY = "epicontrol-demo-secret-key-change-me-in-production"


class Settings(BaseSettings):
    """Every setting of a deployment; each field is documented in README.md."""

    model_config = SettingsConfigDict(env_prefix="EPICONTROL_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/epicontrol.db",
        description="SQLAlchemy URL of the operational store (SQLite file or PostgreSQL).",
    )
    secret_key: str = Field(
        default=DEMO_SECRET_KEY,
        description="Deployment secret: derives the ID-hash, encryption and session keys.",
    )
    allow_demo_secret: bool = Field(
        default=True,
        description="Allow the built-in demo secret (set to false in production).",
    )
    data_dir: Path = Field(default=Path("var"), description="Where files of the deployment live.")
    session_max_age_seconds: int = Field(
        default=8 * 3600, description="Lifetime of a login session cookie or bearer token."
    )
    max_import_bytes: int = Field(
        default=512 * 1024 * 1024, description="Largest register file accepted by an import."
    )
    retention_days: int = Field(
        default=28,
        ge=1,
        description="Days movement records are kept (movements/rules.py explains the default).",
    )
    retention_purge_interval_seconds: int = Field(
        default=3600,
        ge=0,
        description="How often a serving process purges expired records (0 turns it off).",
    )
    tracing_in_background: bool = Field(
        default=True,
        description="Trace a case in a worker thread of the serving process once confirmed.",
    )
    tracing_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often the tracing worker looks for queued runs."
    )
    tracing_rules_file: Path | None = Field(
        default=None,
        description="JSON or TOML file overriding tracing rules (tracing/rules.py) for this place.",
    )
    tip_rate_limit_per_hour: int = Field(
        default=20,
        ge=1,
        description="Public reports one client (IP address, kept hashed) may file per hour.",
    )
    monitoring_refresh_seconds: int = Field(
        default=900,
        ge=0,
        description="How often a serving process refreshes observations and non-reporter tasks.",
    )
    cookie_secure: bool = Field(
        default=False, description="Mark the session cookie Secure (set true behind HTTPS)."
    )
    risk_status_sweep_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How often a serving process recomputes expired and newly arrived risk "
        "statuses (0 turns it off).",
    )
    risk_rules_file: Path | None = Field(
        default=None,
        description="JSON or TOML file overriding risk-status rules (health_code/rules.py).",
    )
    rt_serial_interval_mean_days: float = Field(
        default=4.7,
        gt=1,
        description="Mean serial interval (days) for Rt and forecasts (analytics/rules.py).",
    )
    rt_serial_interval_sd_days: float = Field(
        default=2.9,
        gt=0,
        description="Standard deviation of the serial interval (days) for Rt and forecasts.",
    )

    login_failures_per_username: int = Field(
        default=10,
        ge=1,
        description="Failed logins of one username within the login window before 429.",
    )
    login_failures_per_address: int = Field(
        default=50,
        ge=1,
        description="Failed logins from one client address within the login window before 429.",
    )
    login_window_seconds: int = Field(
        default=900, ge=1, description="The rolling window of the login limits, in seconds."
    )
    public_writes_per_minute: int = Field(
        default=30,
        ge=1,
        description="Anonymous self-checks one client address may post per rolling minute.",
    )
    privacy_k: int = Field(
        default=5,
        ge=2,
        description="k of k-anonymity: a published record must share its quasi-identifiers "
        "with at least k residents (core/kanonymity.py).",
    )
    qa_warm_up: bool = Field(
        default=True,
        description="Load the Q&A's Chinese dictionary when `epicontrol serve` starts (1-2 s).",
    )
    audit_seal_interval_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How often a serving process seals new audit entries (0 turns it off).",
    )
    retention_daily_report_days: int = Field(
        default=60,
        ge=1,
        description="Days daily health reports are kept (core/retention.py).",
    )
    retention_self_check_days: int = Field(
        default=60,
        ge=1,
        description="Days self-checks are kept.",
    )
    retention_login_failure_days: int = Field(
        default=1,
        ge=1,
        description="Days failed logins (keyed hashes of username and address) are kept.",
    )
    retention_survey_response_days: int = Field(
        default=90,
        ge=1,
        description="Days after which survey responses lose the resident (answers stay).",
    )
    retention_tip_days: int = Field(
        default=90,
        ge=1,
        description="Days after which public reports lose their sender's contact details.",
    )
    retention_consultation_days: int = Field(
        default=90,
        ge=1,
        description="Days clinic consultation bookings are kept after their slot.",
    )
    retention_grid_task_days: int = Field(
        default=180,
        ge=1,
        description="Days after completion grid tasks lose the resident and household.",
    )
    retention_clinic_registration_days: int = Field(
        default=180,
        ge=1,
        description="Days after which fever-clinic registrations lose name, phone, ID, birth.",
    )
    retention_linkage_record_days: int = Field(
        default=90,
        ge=1,
        description="Days agency records loaded for linkage (and their pairs) are kept.",
    )
    retention_mask_reservation_days: int = Field(
        default=180,
        ge=1,
        description="Days mask reservations are kept.",
    )
    retention_estate_registration_days: int = Field(
        default=90,
        ge=1,
        description="Days housing-estate entry registrations are kept.",
    )
    retention_enterprise_employee_days: int = Field(
        default=180,
        ge=1,
        description="Days a company's uploaded employee list is kept for resumption checks.",
    )
    retention_labour_days: int = Field(
        default=180,
        ge=1,
        description="Days residents' offers of work and job applications are kept after their "
        "last change.",
    )
    retention_contact_days: int = Field(
        default=180,
        ge=1,
        description="Days close-contact records are kept after the last exposure.",
    )
    retention_observation_days: int = Field(
        default=180,
        ge=1,
        description="Days medical observations are kept after they end.",
    )
    retention_risk_record_days: int = Field(
        default=90,
        ge=1,
        description="Days expired risk evidence, decided appeals and revoked passes are kept.",
    )
    approval_holidays: list[date] = Field(
        default_factory=list,
        description="Public holidays (JSON list of dates) not counted in approval time limits.",
    )
    approval_upload_max_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1,
        description="Largest attachment one approval upload may send (each item sets its own).",
    )

    # Mask market monitoring (market/rules.py says why each default).
    market_price_factor: float = Field(
        default=1.5,
        gt=1,
        description="A price report is abnormal above this many times the median unit price.",
    )
    market_price_window_days: int = Field(
        default=14, ge=1, description="Days of price reports the medians and price flags use."
    )
    market_min_reports_for_median: int = Field(
        default=5,
        ge=1,
        description="Fewest other reports for a district median; fewer: the city's is used.",
    )
    market_complaint_threshold: int = Field(
        default=3, ge=1, description="Quality complaints (distinct reporters) that flag a seller."
    )
    market_complaint_window_days: int = Field(
        default=7, ge=1, description="Days within which those complaints are counted."
    )
    market_photo_max_bytes: int = Field(
        default=3_000_000, ge=1, description="Largest photo a market report may carry."
    )
    retention_market_report_days: int = Field(
        default=365,
        ge=1,
        description="Days after which market reports lose their reporter (and photo).",
    )


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read from the environment once."""
    return Settings()
