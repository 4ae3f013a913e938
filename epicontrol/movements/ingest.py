"""Scan ingest: validate a batch whole, store it idempotently, answer direction and colour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from epicontrol.core import audit
from epicontrol.core.db import insert_ignoring_conflicts
from epicontrol.core.errors import InvalidInput
from epicontrol.health_code import passes
from epicontrol.health_code import service as health
from epicontrol.movements import rules
from epicontrol.movements.models import Direction, Movement, MovementKind, TemperatureAlert
from epicontrol.movements.schemas import ScanIn, ScanOut

MAX_ERRORS_REPORTED = 50


@dataclass(frozen=True, slots=True)
class DeviceContext:
    """The authenticated checkpoint device (or an operator's page) and the place it stands at."""

    device_id: int | None
    place_id: int
    division_id: int
    fixed_direction: str | None
    name: str


@dataclass(slots=True)
class _Accepted:
    scan: ScanIn
    resident_id: int
    name_masked: str


def record_scans(
    db: Session, *, device: DeviceContext, scans: list[ScanIn], secret: str, now: datetime
) -> list[ScanOut]:
    """Store the scans (all or none) and return, in order, what each checkpoint should show."""
    accepted = _validate(db, scans, secret=secret, now=now)
    uuids = [str(item.scan.uuid) for item in accepted]
    stored_before = _existing(db, uuids)
    fresh = _first_of_each_uuid(
        item for item in accepted if str(item.scan.uuid) not in stored_before
    )
    directions = _directions(db, device, fresh)
    rows = [_row(item, device, directions[str(item.scan.uuid)], now) for item in fresh]
    insert_ignoring_conflicts(db, Movement.__table__, rows, key="client_uuid")
    alerts = _raise_temperature_alerts(db, device, fresh)
    audit.record(
        db,
        actor=None,
        action="ingest",
        entity="movement",
        entity_id=device.device_id,
        purpose=f"checkpoint {device.name}",
        detail={"scans": len(scans), "stored": len(rows)},
    )
    colours = health.colours(db, {item.resident_id for item in accepted})
    results = []
    for item in accepted:
        key = str(item.scan.uuid)
        direction = directions.get(key) or stored_before[key]
        results.append(
            ScanOut(
                uuid=item.scan.uuid,
                stored=key not in stored_before,
                direction=Direction(direction),
                colour=colours[item.resident_id],
                name_masked=item.name_masked,
                temperature_alert=key in alerts,
            )
        )
    return results


def _validate(db: Session, scans: list[ScanIn], *, secret: str, now: datetime) -> list[_Accepted]:
    """Every scan checked before anything is stored; all errors reported together."""
    public_key = passes.signing_key(secret).public_key()
    errors: list[str] = []
    pass_ids: list[str | None] = []
    for index, scan in enumerate(scans):
        try:
            pass_ids.append(passes.pass_id_from_code(public_key, scan.code))
        except passes.InvalidPass as error:
            pass_ids.append(None)
            errors.append(f"scan {index} ({scan.uuid}): {error.message}")
            continue
        problem = _implausible(scan, now)
        if problem:
            errors.append(f"scan {index} ({scan.uuid}): {problem}")
    found = health.holders(db, (p for p in pass_ids if p is not None))
    accepted = []
    for index, (scan, pass_id) in enumerate(zip(scans, pass_ids, strict=True)):
        if pass_id is None:
            continue
        holder = found.get(pass_id)
        if holder is None:
            errors.append(f"scan {index} ({scan.uuid}): unknown pass {pass_id}")
        elif holder.revoked_at is not None:
            errors.append(f"scan {index} ({scan.uuid}): pass {pass_id} has been revoked")
        else:
            accepted.append(_Accepted(scan, holder.resident_id, holder.name_masked))
    if errors:
        shown = "; ".join(errors[:MAX_ERRORS_REPORTED])
        more = len(errors) - MAX_ERRORS_REPORTED
        raise InvalidInput(shown + (f"; and {more} more" if more > 0 else "") + ". Nothing stored.")
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


def _existing(db: Session, uuids: list[str]) -> dict[str, str]:
    """Direction of each uuid already stored (these scans are retries)."""
    found: dict[str, str] = {}
    for start in range(0, len(uuids), health.IN_CHUNKS):
        chunk = uuids[start : start + health.IN_CHUNKS]
        query = select(Movement.client_uuid, Movement.direction).where(
            Movement.client_uuid.in_(chunk)
        )
        found.update(
            {uuid: direction or Direction.IN.value for uuid, direction in db.execute(query)}
        )
    return found


def _first_of_each_uuid(items: Any) -> list[_Accepted]:
    unique: dict[str, _Accepted] = {}
    for item in items:
        unique.setdefault(str(item.scan.uuid), item)
    return list(unique.values())


def _directions(db: Session, device: DeviceContext, fresh: list[_Accepted]) -> dict[str, str]:
    """In or out for each new scan: the device's fixed direction, the scan's own, or the
    opposite of the person's previous record at this place."""
    previous = _last_directions(db, device.place_id, {i.resident_id for i in fresh})
    chosen: dict[str, str] = {}
    for item in sorted(fresh, key=lambda i: i.scan.occurred_at):
        direction = device.fixed_direction or (item.scan.direction and item.scan.direction.value)
        if direction is None:
            last = previous.get(item.resident_id)
            direction = Direction.OUT.value if last == Direction.IN.value else Direction.IN.value
        previous[item.resident_id] = direction
        chosen[str(item.scan.uuid)] = direction
    return chosen


def _last_directions(db: Session, place_id: int, resident_ids: set[int]) -> dict[int, str]:
    if not resident_ids:
        return {}
    latest = aliased(Movement)
    found: dict[int, str] = {}
    ids = sorted(resident_ids)
    for start in range(0, len(ids), health.IN_CHUNKS):
        chunk = ids[start : start + health.IN_CHUNKS]
        newest = (
            select(latest.resident_id, func.max(latest.occurred_at).label("at"))
            .where(latest.place_id == place_id, latest.resident_id.in_(chunk))
            .group_by(latest.resident_id)
            .subquery()
        )
        query = select(Movement.resident_id, Movement.direction).join(
            newest,
            and_(
                Movement.resident_id == newest.c.resident_id,
                Movement.occurred_at == newest.c.at,
                Movement.place_id == place_id,
            ),
        )
        found.update({rid: d for rid, d in db.execute(query) if rid is not None and d is not None})
    return found


def _row(item: _Accepted, device: DeviceContext, direction: str, now: datetime) -> dict[str, Any]:
    scan = item.scan
    return {
        "client_uuid": str(scan.uuid),
        "kind": MovementKind.SCAN.value,
        "direction": direction,
        "resident_id": item.resident_id,
        "place_id": device.place_id,
        "occurred_at": scan.occurred_at,
        "day": scan.occurred_at.date(),
        "received_at": now,
        "device_id": device.device_id,
        "temperature": scan.temperature,
    }


def _raise_temperature_alerts(
    db: Session, device: DeviceContext, fresh: list[_Accepted]
) -> set[str]:
    feverish = {
        str(i.scan.uuid): i
        for i in fresh
        if i.scan.temperature is not None and i.scan.temperature >= rules.FEVER_THRESHOLD_CELSIUS
    }
    if not feverish:
        return set()
    stored = db.execute(
        select(Movement.client_uuid, Movement.id).where(Movement.client_uuid.in_(list(feverish)))
    )
    for uuid, movement_id in stored:
        item = feverish[uuid]
        db.add(
            TemperatureAlert(
                movement_id=movement_id,
                place_id=device.place_id,
                division_id=device.division_id,
                resident_id=item.resident_id,
                temperature=item.scan.temperature,
            )
        )
    return set(feverish)


def new_scan_uuid() -> str:
    """A fresh client uuid (for pages that scan on behalf of a device)."""
    return str(uuid4())
