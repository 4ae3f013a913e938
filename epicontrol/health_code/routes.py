"""Personal passes: a resident's own pass and QR, reissue and revocation, the checkpoint key;
the risk-status routes (status_routes.py) are included here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import PlainTextResponse, Response

from epicontrol.core.auth import Principal
from epicontrol.core.deps import CurrentPrincipal, DbSession, SettingsDep, require
from epicontrol.core.errors import NotFound
from epicontrol.core.policy import Permission
from epicontrol.health_code import passes, rendering, service
from epicontrol.health_code.schemas import PassOut, RevokedOut, RevokeIn
from epicontrol.health_code.status_routes import pages as status_pages
from epicontrol.health_code.status_routes import router as status_router
from epicontrol.movements.routes import CurrentDevice
from epicontrol.people import service as people

router = APIRouter(tags=["passes"])
PassManager = Annotated[Principal, Depends(require(Permission.PASS_MANAGE))]
COLOUR_HEX = {"green": "#0b8a3e", "yellow": "#d4a100", "red": "#c62828"}


def _out(db: DbSession, issued: service.IssuedPass) -> PassOut:
    colour = service.colours(db, [issued.resident_id])[issued.resident_id]
    return PassOut(
        pass_id=issued.pass_id,
        resident_id=issued.resident_id,
        issued_at=issued.issued_at,
        payload=issued.payload,
        colour=colour,
    )


def _own_pass(db: DbSession, principal: Principal, secret: str) -> service.IssuedPass:
    if principal.resident_id is None:
        raise NotFound("this login is not linked to a resident, so it has no pass")
    issued = service.current(db, resident_id=principal.resident_id, secret=secret)
    if issued is None:
        raise NotFound("no pass issued yet: POST /api/passes/me to get one")
    return issued


@router.get("/api/passes/me")
def my_pass(db: DbSession, principal: CurrentPrincipal, settings: SettingsDep) -> PassOut:
    """The caller's own pass."""
    return _out(db, _own_pass(db, principal, settings.secret_key))


@router.post("/api/passes/me", status_code=201)
def issue_my_pass(db: DbSession, principal: CurrentPrincipal, settings: SettingsDep) -> PassOut:
    """Issue (or reissue) the caller's own pass; an earlier one stops working."""
    if principal.resident_id is None:
        raise NotFound("this login is not linked to a resident, so it has no pass")
    issued = service.issue(
        db, resident_id=principal.resident_id, secret=settings.secret_key, actor=principal
    )
    return _out(db, issued)


@router.get("/api/passes/me/qr.svg")
def my_pass_svg(db: DbSession, principal: CurrentPrincipal, settings: SettingsDep) -> Response:
    """The caller's pass as an SVG QR code in the colour of their risk status."""
    out = _out(db, _own_pass(db, principal, settings.secret_key))
    svg = rendering.qr_svg(out.payload, colour=COLOUR_HEX.get(out.colour, "#000000"))
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.get("/api/passes/me/qr.png")
def my_pass_png(db: DbSession, principal: CurrentPrincipal, settings: SettingsDep) -> Response:
    """The caller's pass as a PNG QR code."""
    out = _out(db, _own_pass(db, principal, settings.secret_key))
    png = rendering.qr_png(out.payload, colour=COLOUR_HEX.get(out.colour, "#000000"))
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post("/api/residents/{resident_id}/pass", status_code=201)
def reissue_pass(
    resident_id: int, db: DbSession, principal: PassManager, settings: SettingsDep
) -> PassOut:
    """Reissue a resident's pass (a lost phone, say); the old one is revoked."""
    people.get_visible(db, principal=principal, resident_id=resident_id, purpose="pass reissue")
    issued = service.issue(db, resident_id=resident_id, secret=settings.secret_key, actor=principal)
    return _out(db, issued)


@router.post("/api/passes/{pass_id}/revoke")
def revoke_pass(
    pass_id: str, data: RevokeIn, db: DbSession, principal: PassManager
) -> dict[str, str]:
    """Revoke a pass of a resident in the caller's scope."""
    holder = service.holders(db, [pass_id]).get(pass_id)
    if holder is None:
        raise NotFound(f"pass {pass_id} does not exist")
    people.get_visible(
        db, principal=principal, resident_id=holder.resident_id, purpose="pass revocation"
    )
    service.revoke(db, pass_id=pass_id, reason=data.reason, actor=principal)
    return {"pass_id": pass_id, "status": "revoked"}


@router.get("/api/passes/public-key", response_class=PlainTextResponse)
def public_key(settings: SettingsDep) -> str:
    """The Ed25519 public key (PEM) checkpoints verify passes with, offline."""
    return passes.public_key_pem(settings.secret_key)


@router.get("/api/passes/revoked")
def revoked(db: DbSession, _device: CurrentDevice, since: datetime | None = None) -> RevokedOut:
    """Pass ids revoked since a time, for a checkpoint's offline refusal list."""
    return RevokedOut(pass_ids=service.revoked_since(db, since=since))


router.include_router(status_router)
router.include_router(status_pages)
