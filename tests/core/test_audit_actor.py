"""Audit entries name who acted: a person, the anonymous public, or a background job."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.policy import Role


def test_background_job_is_recorded_as_system_not_anonymous(db: Session) -> None:
    audit.record(db, actor="retention-scheduler", action="purge", entity="movement")
    audit.record(db, actor=None, action="submit", entity="tip")
    db.flush()
    by_action = {e.action: e for e in audit.entries(db)}
    job, public = by_action["purge"], by_action["submit"]
    assert (job.actor, job.actor_role, job.actor_user_id) == ("retention-scheduler", "system", None)
    assert (public.actor, public.actor_role) == ("anonymous", "public")


def test_signed_in_actor_keeps_name_role_and_id(db: Session) -> None:
    officer = Principal(
        user_id=7,
        username="officer_x",
        role=Role.COMMUNITY_OFFICER,
        division_id=1,
        division_path="/1/",
    )
    audit.record(db, actor=officer, action="read", entity="resident", entity_id=3)
    db.flush()
    [entry] = audit.entries(db)
    assert (entry.actor, entry.actor_role, entry.actor_user_id) == (
        "officer_x",
        "community_officer",
        7,
    )
