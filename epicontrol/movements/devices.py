"""Checkpoint devices: registration with a one-time API key, and authentication by that key."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core import audit
from epicontrol.core.auth import Principal
from epicontrol.core.errors import AccessDenied, InvalidInput, NotAuthenticated, NotFound
from epicontrol.divisions.models import Division
from epicontrol.movements.ingest import DeviceContext
from epicontrol.movements.models import Direction
from epicontrol.places.models import CheckpointDevice, Place

# Scans arrive thousands a second; a key is looked up in the database at most this often.
# A deactivated device is refused within this many seconds.
_CACHE_SECONDS = 5.0
_cache: dict[str, tuple[float, DeviceContext]] = {}


@dataclass(frozen=True, slots=True)
class NewDevice:
    """A registered device and its API key, shown once."""

    device_id: int
    place_id: int
    name: str
    api_key: str


def _key_hash(api_key: str) -> str:
    # Keys are 256-bit random strings, so a plain SHA-256 is enough (no password stretching).
    return hashlib.sha256(api_key.encode()).hexdigest()


def register(
    db: Session,
    *,
    principal: Principal | None,
    place_code: str,
    name: str,
    fixed_direction: str | None = None,
) -> NewDevice:
    """Register a device at a place in the caller's scope; returns its key once."""
    row = db.execute(
        select(Place, Division.path)
        .join(Division, Division.id == Place.division_id)
        .where(Place.code == place_code)
    ).first()
    if row is None:
        raise NotFound(f"place '{place_code}' does not exist")
    place, path = row
    if principal is not None and not principal.covers(path):
        raise AccessDenied(
            f"place {place.name} is outside your scope",
            action="device:write",
            entity="place",
            entity_id=str(place.id),
        )
    if fixed_direction is not None and fixed_direction not in {d.value for d in Direction}:
        raise InvalidInput("fixed_direction must be 'in', 'out' or absent")
    api_key = f"ecd_{secrets.token_urlsafe(32)}"
    device = CheckpointDevice(
        place_id=place.id, name=name, key_hash=_key_hash(api_key), fixed_direction=fixed_direction
    )
    db.add(device)
    db.flush()
    audit.record(db, actor=principal, action="create", entity="device", entity_id=device.id)
    return NewDevice(device_id=device.id, place_id=place.id, name=name, api_key=api_key)


def cached(api_key: str | None) -> DeviceContext | None:
    """The device holding this key if it was looked up less than _CACHE_SECONDS ago (no
    database needed: the scan endpoints check this in the event loop), else None."""
    if not api_key:
        raise NotAuthenticated("checkpoint devices must send their key in the X-Device-Key header")
    found = _cache.get(_key_hash(api_key))
    if found and time.monotonic() - found[0] < _CACHE_SECONDS:
        return found[1]
    return None


def authenticate(db: Session, api_key: str | None) -> DeviceContext:
    """The active device holding this key, or NotAuthenticated."""
    found = cached(api_key)
    if found is not None:
        return found
    assert api_key  # cached() refused an empty key
    key_hash = _key_hash(api_key)
    row = db.execute(
        select(CheckpointDevice, Place.division_id)
        .join(Place, Place.id == CheckpointDevice.place_id)
        .where(CheckpointDevice.key_hash == key_hash, CheckpointDevice.is_active.is_(True))
    ).first()
    if row is None:
        _cache.pop(key_hash, None)
        raise NotAuthenticated("unknown or deactivated device key")
    device, division_id = row
    context = DeviceContext(
        device_id=device.id,
        place_id=device.place_id,
        division_id=division_id,
        fixed_direction=device.fixed_direction,
        name=device.name,
    )
    _cache[key_hash] = (time.monotonic(), context)
    return context


def forget_cached_keys() -> None:
    """Drop the key cache (after deactivating a device, and between tests)."""
    _cache.clear()
