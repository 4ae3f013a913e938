"""Scan ingest for checkpoint devices, and device registration for officers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from epicontrol.core.auth import Principal
from epicontrol.core.db import utcnow
from epicontrol.core.deps import DbSession, require
from epicontrol.core.policy import Permission
from epicontrol.movements import (
    devices,
    group_commit,
    ingest,
    scan_asgi,
    uploads,
    uploads_arrow,
)
from epicontrol.movements.ingest import DeviceContext
from epicontrol.movements.models import Direction
from epicontrol.movements.schemas import (
    ScanBatchIn,
    ScanBatchOut,
    ScanIn,
    ScanOut,
    UploadOut,
    body_error,
)

router = APIRouter(tags=["checkpoints"])
DeviceAdmin = Annotated[Principal, Depends(require(Permission.DEVICE_ADMIN))]


def current_device(
    db: DbSession, x_device_key: Annotated[str | None, Header()] = None
) -> DeviceContext:
    """The checkpoint device sending the request (X-Device-Key header)."""
    return devices.authenticate(db, x_device_key)


current_device.permission = "device:scan"  # type: ignore[attr-defined]  # route-policy test
CurrentDevice = Annotated[DeviceContext, Depends(current_device)]


class _DirectRoute(APIRoute):
    """A route whose endpoint takes the Request and builds the Response itself.

    Why: at thousands of scans a second FastAPI's per-request machinery (dependency solving,
    body and response-model validation, a thread hop for sync code) took about two thirds of the
    CPU of a scan (bench/RESULTS.md). The declared dependencies and models still describe the
    route (OpenAPI, the route-policy test); the endpoint runs the same checks itself.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return self.endpoint


scans = APIRouter(tags=["checkpoints"], route_class=_DirectRoute)
_writer_lock = threading.Lock()


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI request body of `model`, its $defs inlined (the endpoint reads the raw body)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    content = {"application/json": {"schema": inline(schema)}}
    return {"requestBody": {"required": True, "content": content}}


async def _scan_device(request: Request) -> DeviceContext:
    """current_device without a thread hop when the key is cached (nearly always)."""
    api_key = request.headers.get("x-device-key")
    device = devices.cached(api_key)
    if device is None:
        device = await run_in_threadpool(_authenticate, request.app.state.sessions, api_key)
    return device


def _authenticate(sessions: Callable[[], Session], api_key: str | None) -> DeviceContext:
    with sessions() as db:
        return devices.authenticate(db, api_key)


Model = TypeVar("Model", bound=BaseModel)


def _parse(model: type[Model], body: bytes) -> Model:
    """The body validated straight from JSON (pydantic-core parses it: ~4x faster than
    json.loads then validation); errors answered 422 as FastAPI words them."""
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        raise body_error(error) from None


def _scan_writer(app: Any) -> group_commit.ScanWriter:
    writer: group_commit.ScanWriter | None = getattr(app.state, "scan_writer", None)
    if writer is None:
        with _writer_lock:
            writer = getattr(app.state, "scan_writer", None)
            if writer is None:
                writer = group_commit.ScanWriter(app.state.sessions)
                app.state.scan_writer = writer
    return writer


def _as_json(result: ingest.ScanResult) -> dict[str, Any]:
    return {
        "uuid": result.uuid,
        "stored": result.stored,
        "direction": result.direction,
        "colour": result.colour,
        "name_masked": result.name_masked,
        "temperature_alert": result.temperature_alert,
    }


def _created(content: Any) -> Response:
    """201 with `content` as JSON, as FastAPI's JSONResponse writes it (UTF-8, compact)."""
    return Response(orjson.dumps(content), status_code=201, media_type="application/json")


SCAN_PATH = "/api/scans"


@scans.post(
    SCAN_PATH,
    status_code=201,
    response_model=ScanOut,
    dependencies=[Depends(current_device)],
    openapi_extra=_body_schema(ScanIn),
)
async def record_scan(request: Request) -> Response:
    """Record one scan; answered only once it is committed (with the scans arriving alongside)."""
    device = await _scan_device(request)
    scan = _parse(ScanIn, await request.body())
    secret = request.app.state.settings.secret_key
    pass_id, problem = ingest.check_single(scan, secret=secret, now=utcnow())
    result = await _scan_writer(request.app).record(device, scan, pass_id, problem)
    return _created(_as_json(result))


def _store_batch(state: Any, device: DeviceContext, body: bytes) -> Response:
    batch = _parse(ScanBatchIn, body)
    with state.sessions() as db:
        results = ingest.store_batch(
            db, device=device, scans=batch.scans, secret=state.settings.secret_key, now=utcnow()
        )
        db.commit()  # durable before the device hears back
    stored = sum(1 for r in results if r.stored)
    content = {"stored": stored, "duplicates": len(results) - stored}
    return _created({**content, "results": [_as_json(r) for r in results]})


@scans.post(
    "/api/scans/batch",
    status_code=201,
    response_model=ScanBatchOut,
    dependencies=[Depends(current_device)],
    openapi_extra=_body_schema(ScanBatchIn),
)
async def record_scan_batch(request: Request) -> Response:
    """Record up to 10,000 scans at once (all or none); answered once committed."""
    device = await _scan_device(request)
    body = await request.body()
    # Parsing and storing 10,000 scans takes a while: off the event loop, in a worker thread.
    return await run_in_threadpool(_store_batch, request.app.state, device, body)


def _land_upload(state: Any, device: DeviceContext, body: bytes, arrow: bool) -> Response:
    with uploads.landing:  # the mover of this process waits meanwhile
        landed = _land_arrow(state, device, body) if arrow else _land(state, device, body)
    uploads.wake_movers()
    content = {"upload_id": landed.upload_id, "accepted": landed.accepted}
    return Response(orjson.dumps(content), status_code=202, media_type="application/json")


def _land(state: Any, device: DeviceContext, body: bytes) -> uploads.Landed:
    batch = _parse(ScanBatchIn, body)
    with state.sessions() as db:
        landed = uploads.land(
            db,
            device=device,
            scans=batch.scans,
            body=body,
            secret=state.settings.secret_key,
            now=utcnow(),
        )
        db.commit()  # durable before the device hears back
    return landed


def _land_arrow(state: Any, device: DeviceContext, body: bytes) -> uploads.Landed:
    with state.sessions() as db:
        upload_id, count = uploads_arrow.land(
            db, device=device, body=body, secret=state.settings.secret_key, now=utcnow()
        )
        db.commit()  # durable before the device hears back
    return uploads.Landed(upload_id, count)


@scans.post(
    "/api/scans/upload",
    status_code=202,
    response_model=UploadOut,
    dependencies=[Depends(current_device)],
    openapi_extra=_body_schema(ScanBatchIn),
)
async def upload_scans(request: Request) -> Response:
    """Upload up to 10,000 scans (all or none): answered once they are checked and durable;
    stored into movements in the background (uploads.py says what the answer promises). The
    body is JSON, or an Arrow IPC stream of the same columns (uploads_arrow.py)."""
    device = await _scan_device(request)
    body = await request.body()
    arrow = request.headers.get("content-type", "").startswith(uploads_arrow.MEDIA_TYPE)
    return await run_in_threadpool(_land_upload, request.app.state, device, body, arrow)


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


router.include_router(scans)


class ScanFastPath:
    """ASGI middleware answering POST /api/scans itself (scan_asgi.py), past FastAPI's router
    and Starlette's request and response objects.

    Why: routing through every included router and FastAPI's per-request wrapping took ~140 µs
    of the ~460 µs of server CPU a single scan costs, and Starlette's objects a further ~20-30%
    of what was left in the event loop (bench/RESULTS.md). The checks, the writer and the app's
    exception handlers are the same ones as `record_scan`'s, so the answers are too. Enable it
    in the app factory with `app.add_middleware(ScanFastPath)`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == SCAN_PATH:
            app = scope["app"]
            writer = _scan_writer(app)
            await scan_asgi.record_scan(scope, receive, send, writer, app.state.sessions)
        else:
            await self.app(scope, receive, send)
