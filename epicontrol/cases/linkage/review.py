"""The clerical review queue (人工复核) and its decisions, scoped to the caller's division.

Reviewers see both sides of each uncertain pair decrypted, with the prior and each
comparison's weight; every view and every decision is audited.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.cases.linkage import engine
from epicontrol.cases.linkage.models import LinkagePair, LinkageRecord, PairState, RecordStatus
from epicontrol.cases.linkage.schemas import PairOut, PersonView, WeightOut
from epicontrol.cases.linkage.service import (
    in_scope,
    link,
    pair_detail,
    record_person,
    resident_person,
)
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.errors import Conflict, NotFound
from epicontrol.divisions.models import Division
from epicontrol.people.models import Resident

MAX_QUEUE = 200


def _visible_pair(
    db: Session, principal: Principal, pair_id: int
) -> tuple[LinkagePair, LinkageRecord]:
    row = db.execute(
        select(LinkagePair, LinkageRecord)
        .join(LinkageRecord, LinkageRecord.id == LinkagePair.record_id)
        .join(Division, Division.id == LinkageRecord.division_id)
        .where(LinkagePair.id == pair_id, in_scope(principal))
    ).first()
    if row is None:
        raise NotFound(f"linkage pair {pair_id} does not exist in your division")
    return row[0], row[1]


def decide(
    db: Session, *, principal: Principal, pair_id: int, accept: bool, now: datetime
) -> LinkagePair:
    """Accept (link the record to the resident) or reject a queued pair; audited."""
    pair, record = _visible_pair(db, principal, pair_id)
    if pair.state != PairState.REVIEW.value:
        raise Conflict(f"pair {pair_id} was already decided ({pair.state})")
    pair.state = (PairState.ACCEPTED if accept else PairState.REJECTED).value
    pair.decided_by = principal.user_id
    pair.decided_at = now
    others = list(
        db.scalars(
            select(LinkagePair).where(
                LinkagePair.record_id == record.id,
                LinkagePair.id != pair.id,
                LinkagePair.state == PairState.REVIEW.value,
            )
        )
    )
    if accept:
        for other in others:
            other.state = PairState.SUPERSEDED.value
        link(db, record, pair, linked_by="review", actor=principal, now=now)
    elif not others:
        record.status = RecordStatus.UNMATCHED.value
    audit.record(
        db,
        actor=principal,
        action="accept" if accept else "reject",
        entity="linkage_pair",
        entity_id=pair.id,
        purpose="clerical review",
        detail=pair_detail(pair),
    )
    db.flush()
    return pair


def review_queue(
    db: Session, *, principal: Principal, vault: PersonalDataVault, limit: int = MAX_QUEUE
) -> list[PairOut]:
    """Pairs waiting for a decision in the caller's subtree, with both sides decrypted."""
    rows = db.execute(
        select(LinkagePair, LinkageRecord, Resident)
        .join(LinkageRecord, LinkageRecord.id == LinkagePair.record_id)
        .join(Resident, Resident.id == LinkagePair.resident_id)
        .join(Division, Division.id == LinkageRecord.division_id)
        .where(in_scope(principal), LinkagePair.state == PairState.REVIEW.value)
        .order_by(LinkagePair.record_id, LinkagePair.match_probability.desc())
        .limit(min(limit, MAX_QUEUE))
    ).all()
    items = [
        pair_out(
            pair,
            record,
            _view(record_person(vault, record)),
            _view(resident_person(vault, resident)),
        )
        for pair, record, resident in rows
    ]
    if items:
        audit.record(
            db,
            actor=principal,
            action="decrypt",
            entity="linkage_pair",
            purpose="clerical review",
            detail={
                "pairs": [item.id for item in items],
                "residents": sorted({item.resident_id for item in items}),
            },
        )
    return items


def _view(person: engine.Person) -> PersonView:
    born = person.birth_date
    return PersonView(
        name=person.name,
        id_number=person.id_number,
        birth_date=f"{born[:4]}-{born[4:6]}-{born[6:]}" if born and len(born) == 8 else born,
        phone=person.phone,
        sex=person.sex,
    )


def pair_out(
    pair: LinkagePair,
    record: LinkageRecord,
    record_view: PersonView | None = None,
    resident_view: PersonView | None = None,
) -> PairOut:
    """A pair as the API and the review page show it."""
    weights = json.loads(pair.weights)
    return PairOut(
        id=pair.id,
        record_id=pair.record_id,
        resident_id=pair.resident_id,
        source=record.source,
        source_ref=record.source_ref,
        state=pair.state,
        match_weight=pair.match_weight,
        match_probability=pair.match_probability,
        prior_weight=weights["prior"],
        weights=[WeightOut(**w) for w in weights["comparisons"]],
        record=record_view,
        resident=resident_view,
    )
