"""Rate limits on logging in (counted in the store) and on the anonymous self-check (in memory).

Logins: EPICONTROL_LOGIN_FAILURES_PER_USERNAME failures of one username, or _PER_ADDRESS from
one address, within EPICONTROL_LOGIN_WINDOW_SECONDS answer 429 with Retry-After before the
password is even checked (argon2 costs ~0.1 s of CPU per try); a success clears the username's
failures. The address limit is higher because a carrier NAT puts many phones behind one address.
Failures are rows of login_failures (core/models.LoginFailure), so every process of a
multi-worker server counts the same ones and a restart forgets nothing: one indexed insert per
failure, two indexed reads per attempt, and no write for a success unless the username had recent
failures. Keys are keyed hashes (core/crypto.py) of the case-folded username and of the client
address as uvicorn sees it; core/retention.py drops rows after a day.

The anonymous self-check limit stays per process (RollingWindow, PublicWriteLimit): a check
stores nothing, and a table written on every one would turn a flood into a write load; with N
workers a client gets at most N times the limit (docs/hardening.md). The public reports (举报)
keep their own limit in the database (reports/tips.py), since a report is stored anyway.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from epicontrol.core.crypto import PersonalDataVault, vault_for
from epicontrol.core.db import utcnow
from epicontrol.core.models import LoginFailure
from epicontrol.core.settings import Settings

# The fever self-check stores nothing but costs a render: a person checks a few times a day;
# a family behind one address perhaps ten times an hour.
PUBLIC_WRITE_WINDOW_SECONDS = 60
PUBLIC_WRITES_PER_ADDRESS = 30
PUBLIC_WRITE_PATHS = frozenset({"/api/public/self-check", "/public/self-check", "/self-check"})
# Keys remembered at most; the least recently counted are forgotten first (bounded memory
# under a flood from many addresses).
MAX_KEYS = 100_000

LOGIN_MESSAGE = (
    "登录尝试过多，请 {minutes} 分钟后再试 Too many failed logins: try again in {minutes} min."
)
WRITE_MESSAGE = (
    "提交过于频繁，请 {minutes} 分钟后再试 Too many requests from your connection: "
    "try again in {minutes} min."
)
# The 429 of a rate-limited route, declared in its OpenAPI operation (responses=TOO_MANY) so
# clients and the schema fuzzer (tests/web/test_schemathesis.py) know to expect it.
TOO_MANY: dict[int | str, dict[str, object]] = {
    429: {
        "description": "Too many requests: wait the Retry-After seconds, then try again.",
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait.",
                "schema": {"type": "integer"},
            }
        },
    }
}


def minutes(seconds: int) -> int:
    """Whole minutes to wait, at least one (what the messages say)."""
    return max(1, math.ceil(seconds / 60))


@dataclass
class RollingWindow:
    """Events per key within the last `window` seconds; thread-safe (sync routes run in a pool)."""

    limit: int
    window: float
    clock: Callable[[], float] = time.monotonic
    max_keys: int = MAX_KEYS
    _events: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may act again, or None if it may now."""
        with self._lock:
            events = self._recent(key)
            if events is None or len(events) < self.limit:
                return None
            # The event whose ageing out frees a place.
            frees_at = events[len(events) - self.limit] + self.window
            return max(1, math.ceil(frees_at - self.clock()))

    def add(self, key: str) -> None:
        """Count one event of `key` now."""
        with self._lock:
            events = self._recent(key)
            if events is None:
                events = self._events[key] = deque()
                while len(self._events) > self.max_keys:
                    self._events.popitem(last=False)
            self._events.move_to_end(key)
            events.append(self.clock())
            while len(events) > self.limit:
                events.popleft()

    def clear(self, key: str) -> None:
        """Forget `key`'s events."""
        with self._lock:
            self._events.pop(key, None)

    def _recent(self, key: str) -> deque[float] | None:
        events = self._events.get(key)
        if events is None:
            return None
        since = self.clock() - self.window
        while events and events[0] <= since:
            events.popleft()
        if not events:
            del self._events[key]
            return None
        return events


@dataclass
class LoginThrottle:
    """Failed logins per username and per client address, counted in login_failures. Each call
    uses a brief session of its own, committed in its thread: a failure must be counted even
    though the request's own transaction is rolled back by its 401."""

    sessions: Callable[[], Session]
    vault: PersonalDataVault
    per_username: int
    per_address: int
    window_seconds: float
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def from_settings(cls, settings: Settings, sessions: Callable[[], Session]) -> LoginThrottle:
        """The deployment's limits (EPICONTROL_LOGIN_*) on its store."""
        return cls(
            sessions=sessions,
            vault=vault_for(settings.secret_key),
            per_username=settings.login_failures_per_username,
            per_address=settings.login_failures_per_address,
            window_seconds=settings.login_window_seconds,
        )

    def retry_after(self, *, username: str, address: str) -> int | None:
        """Seconds to wait before this login may be tried, or None."""
        now = self.clock()
        with self.sessions() as db:
            waits = [
                wait
                for wait in (
                    self._wait(db, LoginFailure.username_hash, self._user(username), now),
                    self._wait(db, LoginFailure.client_hash, self._client(address), now),
                )
                if wait is not None
            ]
        return max(waits) if waits else None

    def failed(self, *, username: str, address: str) -> None:
        """Count a wrong password (or unknown username)."""
        with self.sessions() as db:
            db.add(
                LoginFailure(
                    at=self.clock(),
                    username_hash=self._user(username),
                    client_hash=self._client(address),
                )
            )
            db.commit()

    def succeeded(self, *, username: str) -> None:
        """A right password clears the username's failures (not the address's: the rows stay,
        without the username). Writes only when there is something to clear."""
        key, since = self._user(username), self.clock() - timedelta(seconds=self.window_seconds)
        recent = (LoginFailure.username_hash == key) & (LoginFailure.at > since)
        with self.sessions() as db:
            if db.scalar(select(LoginFailure.id).where(recent).limit(1)) is None:
                return
            db.execute(update(LoginFailure).where(recent).values(username_hash=None))
            db.commit()

    def _wait(self, db: Session, column: Any, key: str, now: datetime) -> int | None:
        limit = self.per_username if column is LoginFailure.username_hash else self.per_address
        window = timedelta(seconds=self.window_seconds)
        # The limit-th most recent failure in the window: its ageing out frees a place.
        nth = db.scalar(
            select(LoginFailure.at)
            .where(column == key, LoginFailure.at > now - window)
            .order_by(LoginFailure.at.desc())
            .offset(limit - 1)
            .limit(1)
        )
        if nth is None:
            return None
        return max(1, math.ceil((nth + window - now).total_seconds()))

    def _user(self, username: str) -> str:
        # Usernames are at most 80 characters (core/models.py): a longer one cannot exist.
        return self.vault.lookup_hash("login-username", username.strip().casefold()[:81])

    def _client(self, address: str) -> str:
        return self.vault.lookup_hash("login-address", address)


_state_lock = threading.Lock()


def login_throttle(request: Request) -> LoginThrottle:
    """This app's login throttle, made on first use (tests may set app.state.login_throttle)."""
    state = request.app.state
    with _state_lock:
        throttle = getattr(state, "login_throttle", None)
        if throttle is None:
            throttle = state.login_throttle = LoginThrottle.from_settings(
                state.settings, state.sessions
            )
        return throttle


def client_address(request: Request) -> str:
    """The sender's address as the server sees it (uvicorn applies trusted proxy headers)."""
    return request.client.host if request.client else "unknown"


def too_many(message: str, retry_after: int, *, page: bool) -> Response:
    """A 429 with Retry-After: a short page for a browser form, JSON for the API."""
    text = message.format(minutes=minutes(retry_after))
    headers = {"Retry-After": str(retry_after)}
    if page:
        body = f'<!doctype html><meta charset="utf-8"><title>429</title><p role="alert">{text}</p>'
        return HTMLResponse(body, status_code=429, headers=headers)
    return JSONResponse({"detail": text}, status_code=429, headers=headers)


class PublicWriteLimit:
    """Pure-ASGI limit on the anonymous writes in `paths` (POSTs), per client address."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        paths: frozenset[str] = PUBLIC_WRITE_PATHS,
        window: RollingWindow | None = None,
    ) -> None:
        self.app = app
        self.paths = paths
        self.window = window or RollingWindow(
            PUBLIC_WRITES_PER_ADDRESS, PUBLIC_WRITE_WINDOW_SECONDS
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "unknown"
        wait = self.window.retry_after(address)
        if wait is not None:
            page = not scope["path"].startswith("/api/") and "text/html" in Headers(
                scope=scope
            ).get("accept", "")
            await too_many(WRITE_MESSAGE, wait, page=page)(scope, receive, send)
            return
        self.window.add(address)
        await self.app(scope, receive, send)
