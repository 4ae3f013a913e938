"""Cross-site request forgery protection: a pure-ASGI middleware and the `csrf_field()` /
`csrf_token()` template globals (docs/hardening.md, "CSRF").

The token is the HMAC, under a key derived from the deployment secret, of the caller's session
cookie. Why this and not a separate random `csrf` cookie (double submit): the session cookie is
already random, HttpOnly and unguessable, so binding the token to it needs no second cookie.
A second cookie would make every visitor "not anonymous" to the public page cache
(portal/cache.py caches only requests without cookies), and would cost a Set-Cookie on the hot
path; a token bound to the session also dies with it (logout, another login). An attacker who can
plant cookies (a sibling subdomain) still can't forge the token without the secret.

What is checked: an unsafe request (POST, PUT, PATCH, DELETE) that carries the session cookie and
no Authorization header. Such a request must come from this site (its Origin, else its Referer,
names our Host) and must carry the token, in the `X-CSRF-Token` header (htmx and fetch) or the
`csrf_token` form field (plain forms). Else 403, nothing reaches the app. Exempt: requests with
an Authorization header (a browser never adds one to a cross-site request by itself; the bearer
token then wins over the cookie, core/deps.token_from), device and API keys (no cookie), and
anonymous public writes (no session cookie: they carry no identity; rate limits cover them).

Cost: one method check for GETs (the middleware is innermost, so the scan and risk-status fast
paths and the page cache's hits never reach it); unsafe requests without the cookie scan the
headers once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jinja2
from markupsafe import Markup
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from epicontrol.core.auth import SESSION_COOKIE

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Where the body's password, not the cookie, is the authority: no token (the login form may be
# older than the cookie), but the Origin check applies with or without a cookie (login CSRF:
# another site logging the visitor in as someone else).
CREDENTIAL_PATHS = frozenset({"/login", "/api/auth/token"})
MESSAGE = (
    "Refused: this form is out of date or was sent from another site (CSRF check). "
    "Reload the page and try again. 请求被拒绝：表单已过期或来自其他网站，请刷新页面后重试。"
)
_COOKIE_PREFIX = SESSION_COOKIE.encode() + b"="
# The part named csrf_token (not a filename="csrf_token"): its header lines (non-empty, so the
# first blank line ends them whatever parts follow), the blank line, then the value.
_MULTIPART_FIELD = re.compile(
    rb'form-data;[^\r\n]*[; ]name="'
    + FIELD.encode()
    + rb'"[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]*)'
)


@lru_cache(maxsize=8)
def _key(secret: str) -> bytes:
    # A key of its own, so that a token never equals any other HMAC made with the secret.
    return hmac.new(secret.encode(), b"epicontrol/csrf/v1", hashlib.sha256).digest()


def token_for(secret: str, session: str) -> str:
    """The CSRF token of the session cookie `session` (empty without a session)."""
    if not session:
        return ""
    return hmac.new(_key(secret), session.encode(), hashlib.sha256).hexdigest()


def _request_token(request: Any) -> str:
    """The token for this request's session; cached on the request."""
    cached = getattr(request.state, "csrf_token", None)
    if cached is None:
        session = request.cookies.get(SESSION_COOKIE, "")
        cached = token_for(request.app.state.settings.secret_key, session)
        request.state.csrf_token = cached
    return str(cached)


@jinja2.pass_context
def csrf_token(context: jinja2.runtime.Context) -> str:
    """Template global: the token (for `hx-headers`, a meta tag or a data-* attribute)."""
    return _request_token(context["request"])


@jinja2.pass_context
def csrf_field(context: jinja2.runtime.Context) -> Markup:
    """Template global: the hidden input every `<form method="post">` carries."""
    token = _request_token(context["request"])
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, token)


def install(env: jinja2.Environment) -> None:
    """Make `csrf_field()` and `csrf_token()` available to every template."""
    env.globals["csrf_field"] = csrf_field
    env.globals["csrf_token"] = csrf_token


def _matches(sent: str, expected: str) -> bool:
    # Bytes: compare_digest refuses str with non-ASCII characters, which a forger may send.
    # An empty expected token (no session) never matches, not even an empty one sent.
    return bool(expected) and hmac.compare_digest(
        sent.encode("utf-8", "replace"), expected.encode()
    )


def _session_from(cookie_header: bytes) -> str | None:
    for item in cookie_header.split(b";"):
        item = item.strip()
        if item.startswith(_COOKIE_PREFIX):
            return item[len(_COOKIE_PREFIX) :].decode("latin-1").strip('"')
    return None


def _same_host(url: str, host: str) -> bool:
    try:
        return urlsplit(url).netloc.lower() == host.lower()
    except ValueError:
        return False


def _token_in_body(body: bytes, content_type: str) -> str:
    if content_type.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(FIELD)
        return values[0] if values else ""
    if content_type.startswith("multipart/form-data"):
        found = _MULTIPART_FIELD.search(body)
        return found.group(1).decode("latin-1") if found else ""
    return ""


async def _read_body(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


async def _refuse(scope: Scope, send: Send, reason: str) -> None:
    wants_json = scope["path"].startswith("/api/")
    if wants_json:
        body = json.dumps({"detail": f"{MESSAGE} ({reason})"}, ensure_ascii=False).encode()
        content_type = b"application/json"
    else:
        page = Markup("<!doctype html><meta charset=utf-8><title>403</title><p>{}</p>")
        body = str(page.format(MESSAGE)).encode()
        content_type = b"text/html; charset=utf-8"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class CsrfProtect:
    """ASGI middleware: `app.add_middleware(CsrfProtect)`, innermost (see the module's doc)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        session = origin = referer = sent = None
        host = content_type = ""
        for name, value in scope["headers"]:
            if name == b"cookie":
                session = _session_from(value) if session is None else session
            elif name == b"authorization":
                await self.app(scope, receive, send)  # a bearer token: not a browser's doing
                return
            elif name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"referer":
                referer = value.decode("latin-1")
            elif name == b"host":
                host = value.decode("latin-1")
            elif name == b"x-csrf-token":
                sent = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value.decode("latin-1").lower()
        credentials = scope["path"] in CREDENTIAL_PATHS
        if not session and not credentials:
            await self.app(scope, receive, send)  # anonymous: no identity to abuse
            return
        source = origin if origin is not None else referer
        if source is not None and not _same_host(source, host):
            await _refuse(scope, send, "another site")
            return
        if credentials:
            await self.app(scope, receive, send)
            return
        expected = token_for(scope["app"].state.settings.secret_key, session or "")
        if sent is not None:
            if _matches(sent, expected):
                await self.app(scope, receive, send)
            else:
                await _refuse(scope, send, "wrong token")
            return
        messages = await _read_body(receive)
        body = b"".join(m.get("body", b"") for m in messages)
        if not _matches(_token_in_body(body, content_type), expected):
            await _refuse(scope, send, "no token" if FIELD.encode() not in body else "wrong token")
            return
        replay = iter(messages)

        async def receive_again() -> Message:
            try:
                return next(replay)
            except StopIteration:
                return await receive()  # after the body: a disconnect, when it comes

        await self.app(scope, receive_again, send)
