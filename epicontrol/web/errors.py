"""Turns service errors into clear 4xx answers: JSON for the API, a page for browsers."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

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


def register(app: FastAPI) -> None:
    """Install the handler for every EpicontrolError subclass."""
    app.add_exception_handler(EpicontrolError, _handle)
