"""Limits of the public forms (self-check and reports): body size and the hourly report limit."""

from __future__ import annotations

from fastapi import Request

from epicontrol.core.errors import EpicontrolError
from epicontrol.reports import rules


class PayloadTooLarge(EpicontrolError):
    """A request body larger than the public forms ever need."""

    status_code = 413


class RateLimited(EpicontrolError):
    """Too many reports from one client in the window; `retry_after` is in seconds."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def limit_body(request: Request) -> None:
    """Refuse (413) a body whose declared length exceeds rules.MAX_REQUEST_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > rules.MAX_REQUEST_BYTES:
        raise PayloadTooLarge(
            f"request body of {declared} bytes is over the {rules.MAX_REQUEST_BYTES} allowed"
        )


def client_address(request: Request) -> str:
    """The sender's address as the server sees it (uvicorn applies trusted proxy headers)."""
    return request.client.host if request.client else "unknown"
