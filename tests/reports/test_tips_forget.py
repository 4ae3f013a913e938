"""Sender hashes of public reports are forgotten once the rate limit and repeat check are done."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.db import engine_for, session_factory, utcnow
from epicontrol.reports.models import Tip, TipClient
from epicontrol.reports.tips_forget import forget_senders, start_sender_forgetter


def _tip(db: Session, *, age: timedelta, client: str) -> int:
    now = utcnow()
    tip = Tip(
        kind="other",
        description="楼里有人聚集",
        location_text="",
        client_hash=client,
        content_hash=f"h-{client[:60]}",
        submitted_at=now - age,
        status="new",
        outcome_note="",
        updated_at=now - age,
    )
    db.add_all([tip, TipClient(client_hash=client, last_submitted_at=now - age)])
    db.flush()
    return tip.id


def test_old_senders_are_forgotten_and_recent_ones_kept(db: Session) -> None:
    old = _tip(db, age=timedelta(days=2), client="a" * 64)
    idle = _tip(db, age=timedelta(hours=3), client="b" * 64)
    recent = _tip(db, age=timedelta(minutes=5), client="c" * 64)
    db.commit()
    forgotten = forget_senders(db, now=utcnow())
    db.commit()
    assert (forgotten.reports, forgotten.clients) == (1, 2)
    db.expire_all()
    hashes = {t.id: (t.client_hash, t.content_hash) for t in db.scalars(select(Tip))}
    assert hashes[old] == ("", "")
    assert hashes[idle] == ("b" * 64, "h-" + "b" * 60), "still needed for repeats"
    assert hashes[recent][0] == "c" * 64
    assert list(db.scalars(select(TipClient.client_hash))) == ["c" * 64]
    assert forget_senders(db, now=utcnow()) == type(forgotten)(reports=0, clients=0)


def test_forgetter_thread_runs_at_start_and_is_off_at_zero(db: Session, db_url: str) -> None:
    old = _tip(db, age=timedelta(days=3), client="d" * 64)
    db.commit()
    sessions = session_factory(engine_for(db_url))
    assert start_sender_forgetter(sessions, interval_seconds=0) is None
    forgetter = start_sender_forgetter(sessions, interval_seconds=3600)
    assert forgetter is not None
    forgetter.stop()
    assert forgetter.runs == 1
    db.expire_all()
    assert db.get(Tip, old).client_hash == ""  # type: ignore[union-attr]
