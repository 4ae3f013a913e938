"""List matching: which rows of an agency's list are residents under watch, and nothing more.

The uploaded CSV is read as a stream, a batch of rows at a time; each ID number is validated,
turned into the vault's keyed hash and dropped. Only hashes meet the store, only row numbers
(and, if the grant names the field, a red or yellow colour) go back, and neither the list nor
its ID numbers are stored or logged.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.crypto import PersonalDataVault, parse_resident_id
from epicontrol.core.errors import InvalidInput
from epicontrol.divisions.models import Division
from epicontrol.exchange.access import Caller, Plan
from epicontrol.health_code import status
from epicontrol.people.models import Resident
from epicontrol.tracing.models import Contact

BATCH = 500
ID_COLUMNS = ("id_number", "身份证号")
WATCH_COLOURS = ("red", "yellow")
MAX_ERRORS_SHOWN = 20


@dataclass
class MatchResult:
    """Rows read and the matching rows (CSV line numbers, the header being line 1)."""

    rows: int = 0
    matched: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0


def _rows(stream: IO[bytes]) -> Iterator[tuple[int, str]]:
    text = codecs.getreader("utf-8-sig")(stream)
    reader = csv.reader(text)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InvalidInput("the list is empty: expected a header line with id_number") from None
    column = next((header.index(c) for c in ID_COLUMNS if c in header), None)
    if column is None:
        raise InvalidInput("row 1: no id_number column in the header")
    for row in reader:
        yield reader.line_num, row[column] if column < len(row) else ""


def _in_scope(plan: Plan) -> Any:
    return or_(*(Division.path.startswith(d.path, autoescape=True) for d in plan.divisions))


def _watched(
    db: Session, plan: Plan, hashes: list[str], today: date
) -> dict[str, tuple[int, str | None]]:
    """hash -> (resident, colour or None if only observed as a contact) of those under watch."""
    found = dict(
        db.execute(
            select(Resident.id_number_hash, Resident.id)
            .join(Division, Division.id == Resident.division_id)
            .where(Resident.id_number_hash.in_(hashes), _in_scope(plan))
        ).all()
    )
    if not found:
        return {}
    colours = status.colours(db, found.values())
    observed = set(
        db.scalars(
            select(Contact.contact_resident_id).where(
                Contact.contact_resident_id.in_(list(found.values())),
                Contact.withdrawn_at.is_(None),
                Contact.observation_ends_on >= today,
            )
        )
    )
    watched: dict[str, tuple[int, str | None]] = {}
    for hashed, resident_id in found.items():
        colour = colours.get(resident_id)
        if colour in WATCH_COLOURS or resident_id in observed:
            watched[hashed] = (resident_id, colour if colour in WATCH_COLOURS else None)
    return watched


def _settle(
    db: Session, plan: Plan, batch: list[tuple[int, str]], today: date, result: MatchResult
) -> list[int]:
    watched = _watched(db, plan, [h for _, h in batch], today)
    show_colour = "colour" in plan.fields
    for line, hashed in batch:
        if hashed in watched:
            entry: dict[str, Any] = {"row": line}
            if show_colour:
                entry["colour"] = watched[hashed][1]
            result.matched.append(entry)
    return [resident_id for resident_id, _ in watched.values()]


def match(
    db: Session,
    vault: PersonalDataVault,
    caller: Caller,
    plan: Plan,
    stream: IO[bytes],
    *,
    today: date,
) -> MatchResult:
    """Match the CSV list in `stream`; InvalidInput lists the bad rows (and reveals no match)."""
    result = MatchResult()
    batch: list[tuple[int, str]] = []
    residents: set[int] = set()
    try:
        for line, raw in _rows(stream):
            result.rows += 1
            try:
                number = parse_resident_id(raw).number
            except InvalidInput as bad:
                result.error_count += 1
                if len(result.errors) < MAX_ERRORS_SHOWN:
                    result.errors.append(f"row {line}: {bad.message}")
                continue
            batch.append((line, vault.lookup_hash("id", number)))
            if len(batch) >= BATCH and not result.error_count:
                residents.update(_settle(db, plan, batch, today, result))
                batch = []
    except (UnicodeDecodeError, csv.Error) as broken:
        raise InvalidInput(f"row {result.rows + 2}: not a UTF-8 CSV line ({broken})") from None
    if result.error_count:
        more = result.error_count - len(result.errors)
        tail = f" (and {more} more)" if more else ""
        raise InvalidInput("; ".join(result.errors) + tail + "; nothing was matched")
    if batch:
        residents.update(_settle(db, plan, batch, today, result))
    _audit(db, caller, plan, result, residents)
    return result


def _audit(
    db: Session, caller: Caller, plan: Plan, result: MatchResult, residents: set[int]
) -> None:
    # Each matched resident's record was read (their watch status): audited per resident so that
    # the resident's own access log shows the agency and the purpose.
    for resident_id in sorted(residents):
        audit.record(
            db,
            actor=caller.audit_actor,
            action="exchange:match",
            entity="resident",
            entity_id=resident_id,
            purpose=f"{plan.agency}: {plan.purpose}",
            detail={"agency": plan.agency, "grant": plan.grant_id},
        )
    audit.record(
        db,
        actor=caller.audit_actor,
        action="exchange:match",
        entity="dataset",
        entity_id=plan.dataset.name,
        purpose=plan.purpose,
        detail={"grant": plan.grant_id, "rows": result.rows, "matched": len(result.matched)},
    )
