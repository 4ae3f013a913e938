"""`epicontrol audit verify|head` and POST /api/audit/verify catch a tampered row."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.core import audit, audit_chain
from epicontrol.core.audit_cli import audit_app
from epicontrol.core.audit_seal import AuditSealer
from epicontrol.core.db import engine_for, session_factory
from epicontrol.core.settings import get_settings
from tests.core.test_audit_chain import _fill, _tamper
from tests.factories import TEST_SECRET, City, login

WRITERS, WRITES = 4, 40


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("EPICONTROL_DATABASE_URL", db_url)
    monkeypatch.setenv("EPICONTROL_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("EPICONTROL_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_verify_command_exits_non_zero_with_the_first_bad_entry(
    db: Session, db_url: str, cli_env: None
) -> None:
    ids = _fill(db)
    runner = CliRunner()
    intact = runner.invoke(audit_app, ["verify"])
    assert intact.exit_code == 0, intact.output
    assert "intact" in intact.output and f"head {len(ids)}:" in intact.output
    head = runner.invoke(audit_app, ["head"]).output.strip()
    assert runner.invoke(audit_app, ["verify", "--head", head]).exit_code == 0
    assert runner.invoke(audit_app, ["verify", "--head", "3:abc"]).exit_code == 2

    _tamper(db_url, f"UPDATE audit_log SET entity_id = '999' WHERE id = {ids[3]}")
    tampered = runner.invoke(audit_app, ["verify"])
    assert tampered.exit_code == 1
    assert f"first bad entry: {ids[3]} (seal 4)" in tampered.output


def test_verify_api_is_admin_only_and_reports_the_tampered_entry(
    client: TestClient, db: Session, db_url: str, city: City
) -> None:
    ids = _fill(db)
    admin = login(client, "admin")
    assert client.post("/api/audit/verify", headers=login(client, "commander")).status_code == 403
    first = client.post("/api/audit/verify", headers=admin)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["intact"] and body["checked"] >= len(ids) and body["problem"] is None
    published = {"seq": body["head_seq"], "hash": body["head_hash"]}
    again = client.post("/api/audit/verify", headers=admin, json=published)
    assert again.json()["intact"]
    bad_head = client.post("/api/audit/verify", headers=admin, json={"seq": 1, "hash": "x"})
    assert bad_head.status_code == 422

    _tamper(db_url, f"DELETE FROM audit_log WHERE id = {ids[5]}")
    found = client.post("/api/audit/verify", headers=admin).json()
    assert not found["intact"]
    assert (found["problem"]["kind"], found["problem"]["entry_id"]) == ("deleted_entry", ids[5])


def test_concurrent_writers_and_sealers_leave_one_intact_chain(db: Session, db_url: str) -> None:
    """Requests append entries while two sealers (as in two server processes) run: no entry is
    sealed twice or skipped, and nobody waits on a lock held across a request."""
    sessions = session_factory(engine_for(db_url))
    sealers = [AuditSealer(sessions, secret=TEST_SECRET, interval_seconds=0.01) for _ in range(2)]

    def write(worker: int) -> None:
        with sessions() as session:
            for n in range(WRITES):
                audit.record(session, actor=f"w{worker}", action="read", entity="x", entity_id=n)
                session.commit()

    for sealer in sealers:
        sealer.start()
    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            list(pool.map(write, range(WRITERS)))
    finally:
        for sealer in sealers:
            sealer.stop()
    key = audit_chain.chain_key(TEST_SECRET)
    audit_chain.seal_all(db, key=key)
    result = audit_chain.verify(db, key=key)
    assert result.is_intact and result.unsealed == 0
    assert result.checked == WRITERS * WRITES
    assert sum(s.sealed for s in sealers) > 0  # the background sealers did seal some
