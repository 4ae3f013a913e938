"""Turns service errors into clear 4xx answers: JSON for the API, a page for browsers."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, StatementError

from epicontrol.core.errors import EpicontrolError, NotAuthenticated
from epicontrol.web.templating import render


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


async def _handle(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, EpicontrolError)
    if _wants_page(request):
        if isinstance(exc, NotAuthenticated):
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            return RedirectResponse(f"/login?next={target}", status_code=303)
        context = {"status": exc.status_code, "message": exc.message}
        return render(request, "error.html", context, status_code=exc.status_code)
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code)


# The store's own limits on a value, which no request can pass: SQLite binds integers of at
# most 64 bits (sqlite3 raises OverflowError before the query runs), PostgreSQL's integer
# columns hold 32 or 64 bits (SQLSTATE 22003) and its text no NUL character (psycopg refuses to
# send one); an instant at the calendar's edge (local midnight of 0001-01-01, the day after
# 9999-12-31) has no UTC datetime (OverflowError in the arithmetic or in UTCDateTime's bind).
# Ids, offsets, counts and days come from ~90 path and query parameters and as many body
# fields; one rule here, rather than a bound repeated on each, keeps a fuzzed or hostile value
# a 422 on every route (the request's session is rolled back first: nothing is stored).
_SQLITE_OVERFLOW = "too large to convert to SQLite INTEGER"
_DATE_OVERFLOW = re.compile(r"^(date value out of range|year -?\d+ is out of range)$")
_OUT_OF_RANGE = "22003"
_NUL = "cannot contain NUL (0x00) bytes"
OUT_OF_RANGE_MESSAGE = "数值超出范围 A number in the request is out of range."
DATE_MESSAGE = "日期超出范围 A date in the request is out of range."
NUL_MESSAGE = "文本不能包含 NUL 字符 Text in the request may not contain NUL (\\u0000) characters."


def refused_by_store(exc: BaseException) -> str | None:
    """What was wrong with the request when the store refuses one of its values, else None."""
    if isinstance(exc, DataError):
        if getattr(exc.orig, "sqlstate", None) == _OUT_OF_RANGE:
            return OUT_OF_RANGE_MESSAGE
        return NUL_MESSAGE if _NUL in str(exc.orig) else None
    if isinstance(exc, StatementError):  # a bind parameter's own conversion failed
        return refused_by_store(exc.orig) if isinstance(exc.orig, OverflowError) else None
    if isinstance(exc, OverflowError):
        if _SQLITE_OVERFLOW in str(exc):
            return OUT_OF_RANGE_MESSAGE
        return DATE_MESSAGE if _DATE_OVERFLOW.match(str(exc)) else None
    return None


async def _handle_refused(request: Request, exc: Exception) -> Response:
    message = refused_by_store(exc)
    if message is None:
        raise exc  # a server error after all: the default 500 and its logged traceback
    if _wants_page(request):
        context = {"status": 422, "message": message}
        return render(request, "error.html", context, status_code=422)
    return JSONResponse({"detail": message}, status_code=422)


def register(app: FastAPI) -> None:
    """Install the handler for every EpicontrolError subclass, and for values the store
    refuses (a 422, not a 500)."""
    app.add_exception_handler(EpicontrolError, _handle)
    app.add_exception_handler(OverflowError, _handle_refused)
    app.add_exception_handler(StatementError, _handle_refused)
