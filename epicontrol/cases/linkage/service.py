"""Linkage runs and stored records, scoped to the caller's division (review: review.py).

A run decrypts the pending records and the candidate residents of the caller's subtree (one
audit entry for each set), scores them with Splink (engine.py), links a record automatically
when one candidate is near-certain, and queues the uncertain candidates for a person.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from epicontrol.cases.linkage import engine, rules
from epicontrol.cases.linkage.models import (
    LinkagePair,
    LinkageRecord,
    LinkageRun,
    PairState,
    RecordStatus,
)
from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.crypto import PersonalDataVault
from epicontrol.core.errors import NotFound
from epicontrol.divisions.models import Division
from epicontrol.people.models import Resident


def in_scope(principal: Principal) -> ColumnElement[bool]:
    """Rows whose division lies in the caller's subtree (join Division first)."""
    return Division.path.startswith(principal.division_path, autoescape=True)


def _decrypt(vault: PersonalDataVault, blob: bytes | None) -> str | None:
    return vault.decrypt(blob) if blob else None


def record_person(vault: PersonalDataVault, record: LinkageRecord) -> engine.Person:
    """A record's compared fields, decrypted (the caller audits)."""
    return engine.Person(
        key=record.id,
        name=_decrypt(vault, record.name_enc),
        id_number=_decrypt(vault, record.id_number_enc),
        birth_date=_decrypt(vault, record.birth_date_enc),
        phone=_decrypt(vault, record.phone_enc),
        sex=record.sex,
    )


def resident_person(vault: PersonalDataVault, resident: Resident) -> engine.Person:
    """A resident's compared fields, decrypted (the caller audits)."""
    number = vault.decrypt(resident.id_number_enc)
    return engine.Person(
        key=resident.id,
        name=vault.decrypt(resident.name_enc),
        id_number=number,
        birth_date=number[6:14],  # register IDs are validated (GB 11643) on the way in
        phone=_decrypt(vault, resident.phone_enc),
        sex=resident.sex,
    )


def _residentsin_scope(db: Session, principal: Principal) -> list[Resident]:
    query = select(Resident).join(Division, Division.id == Resident.division_id)
    return list(db.scalars(query.where(in_scope(principal))))


def run(
    db: Session,
    *,
    principal: Principal,
    vault: PersonalDataVault,
    now: datetime,
    estimate_u: bool = False,
) -> LinkageRun:
    """Link every pending record of the caller's subtree to the residents of that subtree
    (m and u: the fixed priors of rules.py, or u estimated from the data with `estimate_u`)."""
    # Scoring comes before any write, so a SQLite store is not held locked for its seconds
    # (scans would wait). PostgreSQL locks the pending rows, and a second run skips them; on
    # SQLite the records still pending are read again once this run holds the write lock.
    records = list(
        db.scalars(
            select(LinkageRecord)
            .join(Division, Division.id == LinkageRecord.division_id)
            .where(in_scope(principal), LinkageRecord.status == RecordStatus.PENDING.value)
            .order_by(LinkageRecord.id)
            .with_for_update(of=LinkageRecord, skip_locked=True)
        )
    )
    residents = _residentsin_scope(db, principal) if records else []
    scored = engine.score(
        [record_person(vault, r) for r in records],
        [resident_person(vault, r) for r in residents],
        min_probability=rules.REVIEW_PROBABILITY,
        estimate_u=estimate_u,
    )
    linkage_run = LinkageRun(
        division_id=principal.division_id,
        started_by=principal.user_id,
        started_at=now,
        candidates=len(residents),
        parameters=json.dumps(
            {
                "auto_link_probability": rules.AUTO_LINK_PROBABILITY,
                "review_probability": rules.REVIEW_PROBABILITY,
                "m": "fixed priors (rules.COMPARISONS)",
                "u": "estimated by random sampling" if estimate_u else "fixed priors",
                "prior": engine.prior_probability(len(residents)),
            }
        ),
    )
    db.add(linkage_run)
    db.flush()
    records = _still_pending(db, records)
    linkage_run.records = len(records)
    _audit_decryption(db, principal, linkage_run, records, residents)
    linkage_run.candidate_pairs = len(scored)
    by_record: dict[int, list[engine.ScoredPair]] = defaultdict(list)
    for scored_pair in scored:
        by_record[scored_pair.record_key].append(scored_pair)
    auto_links = [
        (record, auto)
        for record in records
        if (auto := _settle(db, linkage_run, record, by_record.get(record.id, [])))
    ]
    db.flush()  # one batch of inserts gives every pair its id
    for record, pair in auto_links:
        link(db, record, pair, linked_by="auto", actor=principal, now=now)
        audit.record(
            db,
            actor=principal,
            action="auto_link",
            entity="linkage_pair",
            entity_id=pair.id,
            purpose=f"record linkage run {linkage_run.id}",
            detail=pair_detail(pair),
        )
    linkage_run.finished_at = now
    db.flush()
    return linkage_run


def _still_pending(db: Session, records: list[LinkageRecord]) -> list[LinkageRecord]:
    """Those of `records` that no other run has settled meanwhile."""
    pending: set[int] = set()
    for start in range(0, len(records), 5000):
        ids = [r.id for r in records[start : start + 5000]]
        pending.update(
            db.scalars(
                select(LinkageRecord.id).where(
                    LinkageRecord.id.in_(ids),
                    LinkageRecord.status == RecordStatus.PENDING.value,
                )
            )
        )
    return [r for r in records if r.id in pending]


def _audit_decryption(
    db: Session,
    principal: Principal,
    linkage_run: LinkageRun,
    records: list[LinkageRecord],
    residents: list[Resident],
) -> None:
    # One entry per set rather than per person: a run reads thousands of residents, and the
    # run id ties the entry to exactly which records were compared with whom.
    purpose = f"record linkage run {linkage_run.id}"
    for entity, count in (("linkage_record", len(records)), ("resident", len(residents))):
        audit.record(
            db,
            actor=principal,
            action="decrypt",
            entity=entity,
            purpose=purpose,
            detail={"run_id": linkage_run.id, "count": count, "scope": principal.division_path},
        )


def _settle(
    db: Session,
    linkage_run: LinkageRun,
    record: LinkageRecord,
    candidates: list[engine.ScoredPair],
) -> LinkagePair | None:
    """Auto-link, queue for review, or mark unmatched, by the thresholds of rules.py; the
    pair to link automatically, if any (the caller links it once pairs have ids)."""
    candidates = sorted(candidates, key=lambda p: p.match_probability, reverse=True)
    certain = [p for p in candidates if p.match_probability >= rules.AUTO_LINK_PROBABILITY]
    if len(certain) == 1:
        linkage_run.auto_linked += 1
        return _add_pair(db, linkage_run, certain[0], PairState.AUTO_LINKED)
    # Two near-certain candidates (twins sharing a phone, say) need a person too.
    queued = candidates[: rules.REVIEW_CANDIDATES_PER_RECORD]
    if not queued:
        record.status = RecordStatus.UNMATCHED.value
        linkage_run.unmatched += 1
        return None
    for candidate in queued:
        _add_pair(db, linkage_run, candidate, PairState.REVIEW)
    record.status = RecordStatus.REVIEW.value
    linkage_run.queued_for_review += 1
    return None


def _add_pair(
    db: Session, linkage_run: LinkageRun, scored: engine.ScoredPair, state: PairState
) -> LinkagePair:
    weights = {
        "prior": scored.prior_weight,
        "comparisons": [
            {"comparison": c.comparison, "level": c.level, "weight": c.weight}
            for c in scored.contributions
        ],
    }
    pair = LinkagePair(
        record_id=scored.record_key,
        resident_id=scored.resident_key,
        run_id=linkage_run.id,
        match_weight=round(scored.match_weight, 3),
        match_probability=scored.match_probability,
        weights=json.dumps(weights, ensure_ascii=False),
        state=state.value,
    )
    db.add(pair)
    return pair


def pair_detail(pair: LinkagePair) -> dict[str, object]:
    """What an audit entry about a pair records."""
    return {
        "record_id": pair.record_id,
        "resident_id": pair.resident_id,
        "match_probability": round(pair.match_probability, 6),
        "match_weight": pair.match_weight,
    }


def link(
    db: Session,
    record: LinkageRecord,
    pair: LinkagePair,
    *,
    linked_by: str,
    actor: Principal,
    now: datetime,
) -> None:
    record.status = RecordStatus.LINKED.value
    record.resident_id = pair.resident_id
    record.linked_by = linked_by
    record.linked_at = now
    _tell_source(db, record, actor=actor)


def _tell_source(db: Session, record: LinkageRecord, *, actor: Principal) -> None:
    """Write a decided link back to the domain the record came from."""
    if (
        record.source == "clinic_registration"
        and record.source_id is not None
        and record.resident_id is not None
    ):
        # Imported here: cases.clinics imports this package to queue unmatched patients.
        from epicontrol.cases.clinic_linkage import link_registration
        from epicontrol.tracing import background

        outcome = link_registration(
            db, registration_id=record.source_id, resident_id=record.resident_id, actor=actor
        )
        if outcome.change is not None:  # a result was already in: the case follows the link
            background.after_case_change(db, outcome.change, requested_by=actor.username)


def get_record(db: Session, *, principal: Principal, record_id: int) -> LinkageRecord:
    """One record of the caller's subtree."""
    record = db.scalar(
        select(LinkageRecord)
        .join(Division, Division.id == LinkageRecord.division_id)
        .where(LinkageRecord.id == record_id, in_scope(principal))
    )
    if record is None:
        raise NotFound(f"linkage record {record_id} does not exist in your division")
    return record


def list_records(
    db: Session, *, principal: Principal, status: RecordStatus | None
) -> list[LinkageRecord]:
    """Records of the caller's subtree, optionally of one status, newest first."""
    query = (
        select(LinkageRecord)
        .join(Division, Division.id == LinkageRecord.division_id)
        .where(in_scope(principal))
        .order_by(LinkageRecord.id.desc())
        .limit(500)
    )
    if status is not None:
        query = query.where(LinkageRecord.status == status.value)
    return list(db.scalars(query))
