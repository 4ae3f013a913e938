"""Scan ingest for checkpoint devices, and device registration for officers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, Field

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, SettingsDep, require
from epicontrol.core.policy import Permission
from epicontrol.movements import devices, ingest
from epicontrol.movements.ingest import DeviceContext
from epicontrol.movements.models import Direction
from epicontrol.movements.schemas import ScanBatchIn, ScanBatchOut, ScanIn, ScanOut

router = APIRouter(tags=["checkpoints"])
DeviceAdmin = Annotated[Principal, Depends(require(Permission.DEVICE_ADMIN))]


def current_device(
    db: DbSession, x_device_key: Annotated[str | None, Header()] = None
) -> DeviceContext:
    """The checkpoint device sending the request (X-Device-Key header)."""
    return devices.authenticate(db, x_device_key)


current_device.permission = "device:scan"  # type: ignore[attr-defined]  # route-policy test
CurrentDevice = Annotated[DeviceContext, Depends(current_device)]


@router.post("/api/scans", status_code=201)
def record_scan(
    scan: ScanIn, db: DbSession, device: CurrentDevice, settings: SettingsDep
) -> ScanOut:
    """Record one scan; answered only once it is committed."""
    [result] = ingest.record_scans(
        db, device=device, scans=[scan], secret=settings.secret_key, now=utcnow()
    )
    db.commit()  # durable before the device hears back
    return result


@router.post("/api/scans/batch", status_code=201)
def record_scan_batch(
    batch: ScanBatchIn, db: DbSession, device: CurrentDevice, settings: SettingsDep
) -> ScanBatchOut:
    """Record up to 10,000 scans at once (all or none); answered once committed."""
    results = ingest.record_scans(
        db, device=device, scans=batch.scans, secret=settings.secret_key, now=utcnow()
    )
    db.commit()  # durable before the device hears back
    stored = sum(1 for r in results if r.stored)
    return ScanBatchOut(stored=stored, duplicates=len(results) - stored, results=results)


class DeviceIn(BaseModel):
    """A device to register at a place."""

    place_code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=120)
    fixed_direction: Direction | None = None


class DeviceOut(BaseModel):
    """A registered device; the key is shown only in this answer."""

    device_id: int
    place_id: int
    name: str
    api_key: str


@router.post("/api/devices", status_code=201)
def register_device(data: DeviceIn, db: DbSession, principal: DeviceAdmin) -> DeviceOut:
    """Register a checkpoint device at a place in the caller's scope."""
    new = devices.register(
        db,
        principal=principal,
        place_code=data.place_code,
        name=data.name,
        fixed_direction=data.fixed_direction.value if data.fixed_direction else None,
    )
    return DeviceOut(
        device_id=new.device_id, place_id=new.place_id, name=new.name, api_key=new.api_key
    )
