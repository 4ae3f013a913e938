"""POST /api/scans as a bare ASGI handler, for the ScanFastPath middleware.

Why: a single scan's HTTP handling in the event loop was ~40% of the server's CPU per scan at
thousands of scans a second (bench/RESULTS.md). Starlette's Request and Response objects, its
exception-handling wrapper and streaming the body through them cost more than parsing and
checking the scan itself (pydantic validates a scan from JSON in ~4 µs). Here the body is read
from `receive`, the answer written to `send`, and only errors go through the app's exception
handlers -- the same handlers, so every answer is the one the FastAPI route gives.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.requests import Request
from starlette.types import Message, Receive, Scope, Send

from epicontrol.core.db import utcnow
from epicontrol.core.errors import EpicontrolError
from epicontrol.movements import devices, ingest
from epicontrol.movements.group_commit import ScanWriter
from epicontrol.movements.ingest import DeviceContext
from epicontrol.movements.schemas import ScanIn, body_error

_JSON_HEADERS = [(b"content-type", b"application/json")]


async def record_scan(
    scope: Scope, receive: Receive, send: Send, writer: ScanWriter, sessions: Any
) -> None:
    """Record one scan; answer 201 only once it is committed, or the app's error answer."""
    try:
        device = await _device(scope, sessions)
        body = await _body(receive)
        scan = _parse(body)
        secret = scope["app"].state.settings.secret_key
        pass_id, problem = ingest.check_single(scan, secret=secret, now=utcnow())
        result = await writer.record(device, scan, pass_id, problem)
    except (EpicontrolError, RequestValidationError) as error:
        await _answer_error(scope, receive, send, error)
        return
    content = orjson.dumps(
        {
            "uuid": result.uuid,
            "stored": result.stored,
            "direction": result.direction,
            "colour": result.colour,
            "name_masked": result.name_masked,
            "temperature_alert": result.temperature_alert,
        }
    )
    headers = [(b"content-length", str(len(content)).encode()), *_JSON_HEADERS]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": content})


async def _device(scope: Scope, sessions: Any) -> DeviceContext:
    """The device sending the request, without a thread hop when its key is cached."""
    api_key = None
    for name, value in scope["headers"]:
        if name == b"x-device-key":
            api_key = value.decode("latin-1")
            break
    device = devices.cached(api_key)
    if device is None:
        device = await run_in_threadpool(_authenticate, sessions, api_key)
    return device


def _authenticate(sessions: Any, api_key: str | None) -> DeviceContext:
    with sessions() as db:
        return devices.authenticate(db, api_key)


async def _body(receive: Receive) -> bytes:
    message: Message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        return body
    chunks = [body]
    while message.get("more_body"):
        message = await receive()
        chunks.append(message.get("body", b""))
    return b"".join(chunks)


def _parse(body: bytes) -> ScanIn:
    """The scan validated straight from JSON; errors worded as FastAPI words them (422)."""
    try:
        return ScanIn.model_validate_json(body)
    except ValidationError as error:
        raise body_error(error) from None


async def _answer_error(scope: Scope, receive: Receive, send: Send, error: Exception) -> None:
    """The answer of the app's handler for this error (as ExceptionMiddleware would give)."""
    handlers = scope["app"].exception_handlers
    for kind in type(error).__mro__:
        if kind in handlers:
            response = await handlers[kind](Request(scope, receive), error)
            await response(scope, receive, send)
            return
    raise error
