"""Demo data for the agency exchange: grants in each state and two weeks of request statistics.

The demo liaison ("agency") has asked for four datasets for three agencies: contacts to locate
(public security, granted), arrivals from risk areas (transport, granted), list matching (rail,
granted with the status colour), case counts (public security, waiting for a decision); one
request was refused. The statistics page gets two weeks of logged requests (note "demo").
No API key is made: its secret would be shown to nobody. Deterministic (seed 2020); a store
that already has grants is left alone.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import load_principal
from epicontrol.core.models import User
from epicontrol.core.policy import Role
from epicontrol.divisions.models import Division
from epicontrol.exchange import grants
from epicontrol.exchange.models import ExchangeRequest, Grant

# agency, dataset, fields, decision (True granted, False refused, None pending)
_REQUESTS: tuple[tuple[str, str, list[str], bool | None], ...] = (
    (
        "public_security",
        "contacts_to_locate",
        ["degree", "last_exposure_at", "division_name", "name", "id_number", "phone", "address"],
        True,
    ),
    (
        "transport",
        "arrivals_risk",
        ["arrived_at", "place_name", "origin", "risk_area", "name_masked", "phone"],
        True,
    ),
    ("rail", "watch_list", ["under_watch", "colour"], True),
    ("transport", "contacts_to_locate", ["name", "id_number", "phone", "address"], False),
    ("public_security", "case_counts", ["division_code", "division_name", "status", "cases"], None),
)
_DAILY = {  # (agency, dataset): (requests a day at most, rows per request at most)
    ("public_security", "contacts_to_locate"): (6, 400),
    ("transport", "arrivals_risk"): (10, 2500),
    ("rail", "watch_list"): (4, 20000),
}


def _principal(db: Session, role: Role, username: str | None = None) -> Principal | None:
    query = select(User.id).where(User.role == role.value, User.is_active.is_(True))
    if username is not None:
        query = query.where(User.username == username)
    user_id = db.scalar(query.order_by(User.id).limit(1))
    return None if user_id is None else load_principal(db, user_id)


def seed_demo(db: Session, *, seed: int = 2020, now: datetime | None = None) -> None:
    """Store the demo's grants and request statistics (the caller commits)."""
    if db.scalar(select(func.count()).select_from(Grant)):
        return
    liaison = _principal(db, Role.AGENCY_LIAISON, "agency") or _principal(db, Role.AGENCY_LIAISON)
    approver = _principal(db, Role.COMMANDER)
    if liaison is None or approver is None:
        return
    now = (now or utcnow()).replace(microsecond=0)
    scope = db.get(Division, liaison.division_id)
    assert scope is not None
    granted: dict[tuple[str, str], int] = {}
    for agency, dataset, fields, decision in _REQUESTS:
        grant = grants.request_grant(
            db,
            principal=liaison,
            agency=agency,
            dataset_name=dataset,
            fields=fields,
            division_codes=[scope.code],
            purpose=f"demo: {agency} needs {dataset} for epidemic control",
            expires_at=now + timedelta(days=30),
            now=now - timedelta(days=15),
        )
        if decision is not None:
            grants.decide(
                db,
                principal=approver,
                grant_id=grant.id,
                approve=decision,
                now=now - timedelta(days=14),
            )
            if decision:
                granted[(agency, dataset)] = grant.id
    _statistics(db, granted, random.Random(seed), now)


def _statistics(
    db: Session, granted: dict[tuple[str, str], int], chooser: random.Random, now: datetime
) -> None:
    for days_ago in range(14, -1, -1):
        day = now - timedelta(days=days_ago)
        for (agency, dataset), (most, rows_most) in _DAILY.items():
            for _ in range(chooser.randint(0, most)):
                refused = chooser.random() < 0.08
                rows = 0 if refused else chooser.randint(1, rows_most)
                db.add(
                    ExchangeRequest(
                        agency=agency,
                        dataset=dataset,
                        kind="match" if dataset == "watch_list" else "export",
                        format="csv"
                        if dataset == "watch_list"
                        else chooser.choice(("csv", "parquet")),
                        grant_id=granted.get((agency, dataset)),
                        status=403 if refused else 200,
                        rows=rows,
                        bytes=rows * chooser.randint(60, 140),
                        duration_ms=chooser.randint(40, 900),
                        note="demo",
                        started_at=day - timedelta(minutes=chooser.randint(0, 600)),
                    )
                )
