"""Security headers on every answer: a pure-ASGI middleware, outermost, so that the fast paths,
the public page cache's hits, static files and error pages all carry them.

The Content-Security-Policy allows scripts from this site only: no inline <script>, no inline
event handlers, no eval (docs/hardening.md, "Content-Security-Policy"). Page behaviours live in
static/pages.js and read data-* attributes; Plotly figures travel as JSON data (web/figures.py);
htmx runs with allowEval off (base.html). Styles keep 'unsafe-inline': plotly.js writes style
attributes and injects <style> rules as it draws (as do a few templates' own <style> blocks),
and a style can't run code. Nothing is loaded from another host.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        # data: and blob: for plotly's "download as PNG" and inline SVG/PNG images.
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        # The checkpoint's camera preview.
        "media-src 'self' blob:",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
        "form-action 'self'",
    )
)
# The checkpoint page scans QR codes with the camera (movements/templates/checkpoint.html); the
# self-check and clinic pages ask for the visitor's location (nearest clinic, where they are).
PERMISSIONS_POLICY = "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()"
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", PERMISSIONS_POLICY.encode()),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
)
_NAMES = frozenset(name for name, _ in HEADERS)


def _with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` plus ours; a header the app set itself (lower-cased name) is left as it is."""
    present = {name.lower() for name, _ in headers} & _NAMES
    if not present:
        return [*headers, *HEADERS]
    return [*headers, *(header for header in HEADERS if header[0] not in present)]


class SecurityHeaders:
    """Adds HEADERS to every HTTP answer; costs one list copy per answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_security_headers(list(message.get("headers", ())))
            await send(message)

        await self.app(scope, receive, send_with_headers)
