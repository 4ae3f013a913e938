"""Retention: every personal table has a window (or a stated exemption); a purge applies them."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import epicontrol.models  # noqa: F401  (every table in the metadata)
from epicontrol.core import retention
from epicontrol.core.db import Base, utcnow
from epicontrol.core.models import AuditEntry
from epicontrol.core.retention_cli import retention_app
from epicontrol.core.settings import Settings, get_settings
from tests.factories import City, login

# A column that names, reaches or identifies a person: a resident or household link, a keyed
# hash of a phone, plate or IP address, an encrypted field, a masked name, a birth date.
PERSONAL = re.compile(
    r"(^|_)resident_id$|household_id$|person_hash|plate_hash|client_hash|phone|_enc$|"
    r"name_masked|birth"
)
TABLES = Base.metadata.tables
NOW = utcnow()


def _personal_tables() -> set[str]:
    return {name for name, table in TABLES.items() if any(PERSONAL.search(c.name) for c in table.c)}


def test_every_personal_table_has_a_window_or_a_stated_exemption() -> None:
    covered = {rule.table for rule in retention.RULES}
    covered |= {child for rule in retention.RULES for child, _ in rule.children}
    forgotten = _personal_tables() - covered - set(retention.EXEMPT)
    assert not forgotten, f"add to core/retention.py RULES (or EXEMPT, with why): {forgotten}"
    assert all(reason.strip() for reason in retention.EXEMPT.values())
    assert not covered & set(retention.EXEMPT)


@pytest.mark.parametrize("rule", retention.RULES, ids=lambda rule: rule.table)
def test_each_rule_names_real_columns_and_a_window_setting(rule: retention.Rule) -> None:
    table = TABLES[rule.table]
    assert rule.date_column in table.c
    assert Settings.model_fields[rule.window_setting].annotation is int
    for name, value in rule.anonymise.items():
        assert value is not None or table.c[name].nullable, f"{rule.table}.{name} NOT NULL"
    assert bool(rule.anonymise) == (rule.action == "anonymise")
    for child, column in rule.children:
        assert any(
            fk.column.table.name == rule.table for fk in TABLES[child].c[column].foreign_keys
        )


def _arrange(db: Session, city: City) -> dict[str, int]:
    """Two daily reports (one past the 60-day window) and two tips (one past 90 days)."""
    reports, tips = TABLES["daily_reports"], TABLES["tips"]
    resident = city.residents["wang_father"]
    ids = {}
    for label, days in (("old_report", 61), ("new_report", 59)):
        ids[label] = db.execute(
            insert(reports)
            .values(
                resident_id=resident,
                day=(NOW - timedelta(days=days)).date(),
                temperature=36.6,
                symptoms="",
                is_symptomatic=False,
                is_at_home=True,
                note="",
                submitted_at=NOW - timedelta(days=days),
                submissions=1,
            )
            .returning(reports.c.id)
        ).scalar_one()
    for label, days in (("old_tip", 91), ("new_tip", 89)):
        ids[label] = db.execute(
            insert(tips)
            .values(
                kind="gathering",
                description="a crowd",
                location_text="",
                contact_phone_enc=b"sealed",
                contact_phone_masked="138****1111",
                reporter_resident_id=resident,
                client_hash="",
                content_hash=f"h{days}",
                submitted_at=NOW - timedelta(days=days),
                status="new",
                outcome_note="",
                updated_at=NOW,
            )
            .returning(tips.c.id)
        ).scalar_one()
    db.commit()
    return ids


def _rows(results: list[retention.TableResult]) -> dict[str, int]:
    return {r.table: r.rows for r in results if r.rows}


def test_purge_deletes_or_anonymises_only_expired_rows_and_is_audited(
    db: Session, city: City, settings: Settings
) -> None:
    ids = _arrange(db, city)
    planned = retention.plan(db, settings=settings, now=NOW)
    assert _rows(planned) == {"daily_reports": 1, "tips": 1}
    db.rollback()
    done = retention.purge(db, settings=settings, now=NOW, actor="test", purpose="test")
    assert _rows(done) == {"daily_reports": 1, "tips": 1}

    reports, tips = TABLES["daily_reports"], TABLES["tips"]
    assert set(db.scalars(select(reports.c.id))) == {ids["new_report"]}
    old, new = (
        db.execute(select(tips).where(tips.c.id == ids[label])).one()
        for label in ("old_tip", "new_tip")
    )
    assert (old.contact_phone_enc, old.contact_phone_masked, old.reporter_resident_id) == (
        None,
        None,
        None,
    )
    assert old.description == "a crowd"  # the report stays for counts
    assert new.reporter_resident_id == city.residents["wang_father"]

    entry = db.scalar(select(AuditEntry).where(AuditEntry.entity == "retention"))
    assert entry is not None and '"tips"' in entry.detail and entry.actor == "test"
    assert _rows(retention.purge(db, settings=settings, now=NOW, actor="t", purpose="t")) == {}


def test_purge_api_is_admin_only_and_dry_run_changes_nothing(
    client: TestClient, db: Session, city: City
) -> None:
    _arrange(db, city)
    url = "/api/retention/purge?dry_run=true"
    assert client.post(url, headers=login(client, "commander")).status_code == 403
    response = client.post(url, headers=login(client, "admin"))
    assert response.status_code == 200, response.text
    assert {r["table"]: r["rows"] for r in response.json() if r["rows"]} == {
        "daily_reports": 1,
        "tips": 1,
    }
    assert db.scalar(select(func.count()).select_from(TABLES["daily_reports"])) == 2
    assert (
        client.post(
            "/api/retention/purge?dry_run=maybe", headers=login(client, "admin")
        ).status_code
        == 422
    )


def test_retention_purge_command(
    db: Session, city: City, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _arrange(db, city)
    monkeypatch.setenv("EPICONTROL_DATABASE_URL", db_url)
    monkeypatch.setenv("EPICONTROL_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        dry = CliRunner().invoke(retention_app, ["purge", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "daily_reports: would delete 1 rows" in dry.output
        done = CliRunner().invoke(retention_app, ["purge"])
        assert done.exit_code == 0, done.output
        assert "tips: anonymise 1 rows" in done.output
    finally:
        get_settings.cache_clear()
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(TABLES["daily_reports"])) == 1
