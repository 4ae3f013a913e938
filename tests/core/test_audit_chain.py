"""The audit log's hash chain: an untouched log verifies; every kind of tampering is caught."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from epicontrol.core import audit, audit_chain
from epicontrol.core.db import engine_for, utcnow
from epicontrol.core.models import AuditEntry
from tests.factories import TEST_SECRET

KEY = audit_chain.chain_key(TEST_SECRET)
ENTRIES = 12


def _fill(db: Session, count: int = ENTRIES) -> list[int]:
    made = [
        audit.record(
            db,
            actor=f"worker-{n % 3}",
            action="read",
            entity="resident",
            entity_id=n,
            purpose=f"purpose {n} 核查",
            detail={"n": n},
        )
        for n in range(count)
    ]
    db.commit()
    return [entry.id for entry in made]


def _tamper(db_url: str, *statements: str) -> None:
    """Change the tables as an attacker with database access would: around the triggers."""
    with engine_for(db_url).begin() as conn:
        if conn.dialect.name == "postgresql":
            # Disables triggers for this transaction only: the shared test database keeps them.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for trigger in ("audit_log_no_update", "audit_log_no_delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
            for trigger in ("audit_chain_no_update", "audit_chain_no_delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        for statement in statements:
            conn.execute(text(statement))


@pytest.fixture
def sealed(db: Session) -> list[int]:
    ids = _fill(db)
    assert audit_chain.seal_all(db, key=KEY) == ENTRIES
    return ids


def test_untouched_log_verifies_and_late_entries_are_sealed_later(
    db: Session, sealed: list[int]
) -> None:
    result = audit_chain.verify(db, key=KEY)
    assert result.is_intact and result.checked == ENTRIES and result.unsealed == 0
    assert result.head is not None and result.head.seq == ENTRIES
    assert audit_chain.seal_all(db, key=KEY) == 0  # nothing sealed twice

    later = _fill(db, 3)
    assert audit_chain.verify(db, key=KEY).unsealed == 3
    assert audit_chain.seal_all(db, key=KEY) == 3
    result = audit_chain.verify(db, key=KEY)
    assert result.is_intact and result.checked == ENTRIES + 3
    assert result.head is not None and result.head.entry_id == later[-1]


def test_the_database_refuses_to_change_a_seal(db: Session, sealed: list[int]) -> None:
    for statement in ("UPDATE audit_chain SET hash = 'x'", "DELETE FROM audit_chain"):
        with pytest.raises(Exception, match="append-only"):
            db.execute(text(statement))
        db.rollback()


@pytest.mark.parametrize(
    ("tampering", "kind", "position"),
    [
        ("UPDATE audit_log SET purpose = 'nothing to see' WHERE id = {e}", "edited", 5),
        ("UPDATE audit_log SET actor = 'someone else' WHERE id = {e}", "edited", 5),
        ("DELETE FROM audit_log WHERE id = {e}", "deleted_entry", 5),
        ("DELETE FROM audit_chain WHERE seq = {s}", "deleted_seal", 5),
        ("UPDATE audit_chain SET hash = '{z}' WHERE seq = {s}", "edited", 5),
        # Two seals swapped: each now names the other's entry.
        (
            "UPDATE audit_chain SET entry_id = -1 WHERE seq = {s}; "
            "UPDATE audit_chain SET entry_id = {e} WHERE seq = {s1}; "
            "UPDATE audit_chain SET entry_id = {e1} WHERE seq = {s}",
            "edited",
            5,
        ),
    ],
    ids=["edited-row", "edited-actor", "deleted-row", "deleted-seal", "edited-seal", "reordered"],
)
def test_tampering_is_detected_at_the_first_bad_entry(
    db: Session, db_url: str, sealed: list[int], tampering: str, kind: str, position: int
) -> None:
    entry, next_entry = sealed[position - 1], sealed[position]
    statement = tampering.format(e=entry, e1=next_entry, s=position, s1=position + 1, z="0" * 64)
    _tamper(db_url, *statement.split("; "))
    db.expire_all()
    result = audit_chain.verify(db, key=KEY)
    assert not result.is_intact and result.problem is not None
    assert (result.problem.kind, result.problem.seq) == (kind, position)
    assert result.checked == position - 1  # everything before the tampering was fine
    if kind != "deleted_seal":
        assert result.problem.entry_id in (entry, next_entry)


def test_a_chain_rebuilt_without_the_secret_does_not_verify(
    db: Session, db_url: str, sealed: list[int]
) -> None:
    _tamper(
        db_url,
        "DELETE FROM audit_chain",
        f"UPDATE audit_log SET purpose = 'x' WHERE id = {sealed[0]}",
    )
    audit_chain.seal_all(db, key=audit_chain.chain_key("a guess at the secret"))
    result = audit_chain.verify(db, key=KEY)
    assert result.problem is not None and result.problem.kind == "edited"
    assert result.problem.seq == 1


def test_truncating_the_newest_seals_is_caught_only_against_a_published_head(
    db: Session, db_url: str, sealed: list[int]
) -> None:
    published = audit_chain.head(db)
    assert published is not None
    _tamper(db_url, f"DELETE FROM audit_chain WHERE seq > {ENTRIES - 2}")
    assert audit_chain.verify(db, key=KEY).is_intact  # a shorter chain is still a chain
    result = audit_chain.verify(db, key=KEY, expected_head=(published.seq, published.hash))
    assert result.problem is not None and result.problem.kind == "truncated"


def test_an_entry_committed_late_below_the_head_is_sealed_by_the_next_pass(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL ids are handed out at insert and transactions commit in any order: an
    entry with a lower id than the head may appear later. Sealing runs in small batches."""
    monkeypatch.setattr(audit_chain, "SEAL_BATCH", 5)
    for entry_id in range(100, 112):
        db.add(_entry(entry_id))
    db.commit()
    assert audit_chain.seal_all(db, key=KEY) == 12  # three batches
    db.add(_entry(50))  # the request that started first commits last
    db.commit()
    assert audit_chain.seal(db, key=KEY) == 1  # what the background sealer runs
    db.commit()
    result = audit_chain.verify(db, key=KEY)
    assert result.is_intact and result.checked == 13 and result.unsealed == 0
    assert result.head is not None and result.head.entry_id == 50


def _entry(entry_id: int) -> AuditEntry:
    return AuditEntry(
        id=entry_id,
        at=utcnow(),
        actor="late",
        actor_role="system",
        action="read",
        entity="resident",
        entity_id=str(entry_id),
        purpose="",
        outcome="allowed",
        detail="",
    )
