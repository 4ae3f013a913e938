"""Scan ingest: validate, store idempotently, answer direction and colour.

A batch is validated whole and stored all or none (`store_batch`). Single scans are committed
in groups (group_commit.py) through the same steps. The queries themselves are in ingest_sql.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from uuid import uuid4

from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.errors import InvalidInput
from epicontrol.health_code import passes
from epicontrol.health_code import service as health
from epicontrol.movements import ingest_sql, rules
from epicontrol.movements.models import Direction, MovementKind
from epicontrol.movements.schemas import ScanIn, ScanOut

MAX_ERRORS_REPORTED = 50
# A payload's signature is a pure function of its bytes, so one verified is verified for good;
# Ed25519 verification costs ~100 µs, the cache ~1 µs. Revocation is still checked in the store
# for every scan. ~300 bytes an entry: 200,000 entries are ~60 MB per process.
VERIFIED_CODES_CACHED = 200_000


@dataclass(frozen=True, slots=True)
class DeviceContext:
    """The authenticated checkpoint device (or an operator's page) and the place it stands at."""

    device_id: int | None
    place_id: int
    division_id: int
    fixed_direction: str | None
    name: str


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What a checkpoint shows for one scan (ScanOut's fields, without its validation cost)."""

    uuid: str
    stored: bool
    direction: str
    colour: str
    name_masked: str
    temperature_alert: bool

    def as_out(self) -> ScanOut:
        return ScanOut(
            uuid=self.uuid,  # type: ignore[arg-type]  # validated into a UUID
            stored=self.stored,
            direction=Direction(self.direction),
            colour=self.colour,
            name_masked=self.name_masked,
            temperature_alert=self.temperature_alert,
        )


@dataclass(slots=True)
class Accepted:
    """A scan that passed every check, with its holder."""

    scan: ScanIn
    key: str  # str(scan.uuid), made once: it is the idempotency key of every step
    device: DeviceContext
    resident_id: int
    name_masked: str


def record_scans(
    db: Session, *, device: DeviceContext, scans: list[ScanIn], secret: str, now: datetime
) -> list[ScanOut]:
    """Store the scans (all or none) and return, in order, what each checkpoint should show."""
    return [r.as_out() for r in store_batch(db, device=device, scans=scans, secret=secret, now=now)]


def store_batch(
    db: Session, *, device: DeviceContext, scans: list[ScanIn], secret: str, now: datetime
) -> list[ScanResult]:
    """record_scans for the batch endpoint: the same, answered as ScanResult (cheaper to send)."""
    sql = ingest_sql.Statements(db)
    accepted = validate(sql, device, scans, secret=secret, now=now)
    stored = store_accepted(sql, accepted, now)
    audit_ingest(db, device, scans=len(scans), stored=len(stored.inserted))
    return results_of(db, accepted, stored)


@lru_cache(maxsize=VERIFIED_CODES_CACHED)
def verified_pass_id(secret: str, code: str) -> str:
    """The pass id a scanned code names; InvalidPass (never cached) if it is not genuine."""
    return passes.pass_id_from_code(passes.signing_key(secret).public_key(), code)


def refusal(errors: list[str]) -> InvalidInput:
    """The 422 for scans refused: every error (up to 50), and that nothing was stored."""
    shown = "; ".join(errors[:MAX_ERRORS_REPORTED])
    more = len(errors) - MAX_ERRORS_REPORTED
    return InvalidInput(shown + (f"; and {more} more" if more > 0 else "") + ". Nothing stored.")


def holder_problem(found: dict[str, health.PassHolder], pass_id: str) -> str | None:
    """Why a pass cannot be used (unknown, revoked), or None."""
    holder = found.get(pass_id)
    if holder is None:
        return f"unknown pass {pass_id}"
    if holder.revoked_at is not None:
        return f"pass {pass_id} has been revoked"
    return None


def validate(
    sql: ingest_sql.Statements,
    device: DeviceContext,
    scans: list[ScanIn],
    *,
    secret: str,
    now: datetime,
) -> list[Accepted]:
    """Every scan checked before anything is stored; all errors reported together."""
    errors: list[str] = []
    pass_ids: list[str | None] = []
    for index, scan in enumerate(scans):
        try:
            pass_ids.append(verified_pass_id(secret, scan.code))
        except passes.InvalidPass as error:
            pass_ids.append(None)
            errors.append(f"scan {index} ({scan.uuid}): {error.message}")
            continue
        problem = _implausible(scan, now)
        if problem:
            errors.append(f"scan {index} ({scan.uuid}): {problem}")
    found = ingest_sql.pass_holders(sql, [p for p in pass_ids if p is not None])
    accepted = []
    for index, (scan, pass_id) in enumerate(zip(scans, pass_ids, strict=True)):
        if pass_id is None:
            continue
        problem = holder_problem(found, pass_id)
        if problem:
            errors.append(f"scan {index} ({scan.uuid}): {problem}")
        else:
            holder = found[pass_id]
            accepted.append(
                Accepted(scan, str(scan.uuid), device, holder.resident_id, holder.name_masked)
            )
    if errors:
        raise refusal(errors)
    return accepted


def _implausible(scan: ScanIn, now: datetime) -> str | None:
    if scan.occurred_at > now + rules.MAX_CLOCK_SKEW:
        return "occurred_at is in the future; check the device clock"
    if scan.occurred_at < now - rules.MAX_OFFLINE_AGE:
        return "occurred_at is older than the retention window"
    low, high = rules.PLAUSIBLE_TEMPERATURE
    if scan.temperature is not None and not low <= scan.temperature <= high:
        return f"temperature {scan.temperature} °C is not plausible (expected {low}-{high})"
    return None


@dataclass(slots=True)
class Stored:
    """What storing a group or batch did."""

    inserted: dict[str, int]  # movement id of each uuid inserted by this transaction
    directions: dict[str, str]  # of every uuid: chosen now, or as stored by an earlier request
    alerts: set[str]  # uuids that raised a temperature alert


def store_accepted(sql: ingest_sql.Statements, accepted: list[Accepted], now: datetime) -> Stored:
    """Insert the scans not stored before, choose their direction, raise temperature alerts."""
    stored_before = ingest_sql.existing_directions(sql, [item.key for item in accepted])
    fresh = _first_of_each_uuid(item for item in accepted if item.key not in stored_before)
    chosen = _directions(sql, fresh)
    inserted = ingest_sql.insert_movements(sql, [_row(i, chosen[i.key], now) for i in fresh])
    # A uuid stored meanwhile by a concurrent request (another worker) is a retry too.
    lost = [item.key for item in fresh if item.key not in inserted]
    if lost:
        stored_before.update(ingest_sql.existing_directions(sql, lost))
    alerts = _raise_temperature_alerts(sql, [i for i in fresh if i.key in inserted], inserted, now)
    directions = {**stored_before, **{key: chosen[key] for key in inserted}}
    return Stored(inserted, directions, alerts)


def results_of(db: Session, accepted: list[Accepted], stored: Stored) -> list[ScanResult]:
    """What each checkpoint shows, in the order the scans came."""
    colours = health.colours(db, {item.resident_id for item in accepted})
    return [
        ScanResult(
            uuid=item.key,
            stored=item.key in stored.inserted,
            direction=stored.directions[item.key],
            colour=colours[item.resident_id],
            name_masked=item.name_masked,
            temperature_alert=item.key in stored.alerts,
        )
        for item in accepted
    ]


def _first_of_each_uuid(items: Iterable[Accepted]) -> list[Accepted]:
    unique: dict[str, Accepted] = {}
    for item in items:
        unique.setdefault(item.key, item)
    return list(unique.values())


def _directions(sql: ingest_sql.Statements, fresh: list[Accepted]) -> dict[str, str]:
    """In or out for each new scan: the device's fixed direction, the scan's own, or the
    opposite of the person's previous record at this place."""
    previous = ingest_sql.last_directions(sql, {(i.device.place_id, i.resident_id) for i in fresh})
    chosen: dict[str, str] = {}
    for item in sorted(fresh, key=lambda i: i.scan.occurred_at):
        direction = item.device.fixed_direction or (
            item.scan.direction and item.scan.direction.value
        )
        at = (item.device.place_id, item.resident_id)
        if direction is None:
            last = previous.get(at)
            direction = Direction.OUT.value if last == Direction.IN.value else Direction.IN.value
        previous[at] = direction
        chosen[item.key] = direction
    return chosen


def _row(item: Accepted, direction: str, now: datetime) -> tuple[Any, ...]:
    scan = item.scan
    return (
        item.key,
        MovementKind.SCAN.value,
        direction,
        item.resident_id,
        item.device.place_id,
        scan.occurred_at,
        scan.occurred_at.astimezone(UTC).date(),  # the UTC day, as exports partition by
        now,
        item.device.device_id,
        scan.temperature,
    )


def _is_fever(scan: ScanIn) -> bool:
    return scan.temperature is not None and scan.temperature >= rules.FEVER_THRESHOLD_CELSIUS


def _raise_temperature_alerts(
    sql: ingest_sql.Statements,
    inserted_items: list[Accepted],
    movement_ids: dict[str, int],
    now: datetime,
) -> set[str]:
    feverish = [item for item in inserted_items if _is_fever(item.scan)]
    ingest_sql.insert_temperature_alerts(
        sql,
        [
            (
                movement_ids[item.key],
                item.device.place_id,
                item.device.division_id,
                item.resident_id,
                item.scan.temperature,
                now,
            )
            for item in feverish
        ],
    )
    return {item.key for item in feverish}


def check_single(scan: ScanIn, *, secret: str, now: datetime) -> tuple[str, str | None]:
    """A single scan's pass id and what is implausible about it, before it is queued; a forged
    or malformed code is refused at once (InvalidInput worded as for a batch of one)."""
    try:
        pass_id = verified_pass_id(secret, scan.code)
    except passes.InvalidPass as error:
        raise refusal([f"scan 0 ({scan.uuid}): {error.message}"]) from None
    problem = _implausible(scan, now)
    return pass_id, problem and f"scan 0 ({scan.uuid}): {problem}"


def audit_ingest(
    db: Session, device: DeviceContext, *, scans: int, stored: int, actor: str | None = None
) -> None:
    """One audit entry per device and transaction (a batch, or a commit of single scans);
    `actor` names the background job storing them, if one does (audit.record)."""
    audit.record(
        db,
        actor=actor,
        action="ingest",
        entity="movement",
        entity_id=device.device_id,
        purpose=f"checkpoint {device.name}",
        detail={"scans": scans, "stored": stored},
    )


def new_scan_uuid() -> str:
    """A fresh client uuid (for pages that scan on behalf of a device)."""
    return str(uuid4())
