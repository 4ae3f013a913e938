"""ASGI fast path for GET /api/risk-status/me: a resident's own status from a per-process cache.

Why: residents open their code far more often than it changes (it is what every gate asks to
see), and FastAPI's routing, dependency solving and a database round trip cost about a
millisecond of CPU per request, while an answer from memory costs a few tens of microseconds.
The cache never serves a status the rules no longer give for longer than a poll interval:
- a commit of this process that rewrites any status clears it (status.generation);
- every POLL_SECONDS a worker thread asks which statuses other processes rewrote lately
  (`computed_at`, indexed) and drops those;
- an entry is dropped when its status reaches `changes_at` (the next expiry), and in any case
  after MAX_AGE_SECONDS.
Callers are cached by their token while it stays valid (at most CALLER_MAX_AGE_SECONDS).
Anything unusual (no token, a staff login, an error) goes to the ordinary route, which answers
it exactly as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from epicontrol.core.auth import SESSION_COOKIE, read_token
from epicontrol.core.db import utcnow
from epicontrol.core.models import User
from epicontrol.core.policy import Permission, Role, is_allowed
from epicontrol.health_code import risk, status
from epicontrol.health_code.models import RiskStatus
from epicontrol.health_code.status_routes import MY_STATUS_PATH

logger = logging.getLogger(__name__)
# Safety nets only (the poll is what keeps answers current): an answer is dropped after
# MAX_AGE_SECONDS whatever happens; a caller's token and role are checked again after
# CALLER_MAX_AGE_SECONDS (a deactivated login keeps reading its own status that long at most).
MAX_AGE_SECONDS = 600.0
CALLER_MAX_AGE_SECONDS = 300.0
POLL_SECONDS = 0.2
MAX_ENTRIES = 500_000
# A status recomputed this long before its transaction committed is still seen by the poll.
COMMIT_MARGIN = timedelta(seconds=5)
_JSON_HEADERS = [(b"content-type", b"application/json")]
_CALLER = select(User.resident_id, User.role).where(
    User.id == bindparam("user_id"), User.is_active.is_(True)
)


@dataclass(frozen=True, slots=True)
class _Entry:
    body: bytes
    until: float  # time.monotonic() after which the entry is dropped
    changes_at: float  # time.time() of the status's next expiry (inf: none)


class StatusCache:
    """Residents' answers and callers' tokens, kept in this process."""

    def __init__(self) -> None:
        self.callers: dict[str, tuple[int, float]] = {}  # token -> (resident id, until)
        self.statuses: dict[int, _Entry] = {}
        self.version = 0  # moves on every invalidation: a fill begun before it is not kept
        self.generation = status.generation.value
        self.seen: dict[int, Any] = {}  # resident -> computed_at of the last poll's rows
        self.polled_at = 0.0
        self.polling = False
        self._lock = threading.Lock()

    def answer(self, token: str) -> bytes | None:
        """The cached answer for this token, or None."""
        if self.generation != status.generation.value:
            self.invalidate(None, generation=status.generation.value)
        caller = self.callers.get(token)
        if caller is None or caller[1] <= time.monotonic():
            return None
        entry = self.fresh(caller[0])
        return entry.body if entry is not None else None

    def fresh(self, resident_id: int) -> _Entry | None:
        """A resident's answer if it may still be served."""
        entry = self.statuses.get(resident_id)
        if entry is None or entry.until <= time.monotonic() or entry.changes_at <= time.time():
            return None
        return entry

    def invalidate(self, residents: list[int] | None, *, generation: int | None = None) -> None:
        """Drop these residents' answers (all of them for None)."""
        with self._lock:
            self.version += 1
            if generation is not None:
                self.generation = generation
            if residents is None:
                self.statuses.clear()
            else:
                for resident in residents:
                    self.statuses.pop(resident, None)

    def keep(self, token: str, resident_id: int, entry: _Entry, version: int, valid: float) -> None:
        """Store a fill unless something was invalidated since it began."""
        with self._lock:
            if len(self.callers) >= MAX_ENTRIES or len(self.statuses) >= MAX_ENTRIES:
                self.callers.clear()  # a crude bound: refilling costs a query per resident
                self.statuses.clear()
            if version == self.version:
                self.statuses[resident_id] = entry
            self.callers[token] = (resident_id, time.monotonic() + valid)

    def poll(self, sessions: Callable[[], Session]) -> None:
        """Drop the residents whose statuses another process rewrote since the last poll."""
        since = utcnow() - COMMIT_MARGIN
        try:
            with sessions() as db:
                query = select(RiskStatus.resident_id, RiskStatus.computed_at).where(
                    RiskStatus.computed_at > since
                )
                rows = {resident: at for resident, at in db.execute(query)}
        except Exception:  # the cache ages out anyway; log and poll again later
            logger.exception("risk-status cache poll failed")
            rows = {}
        changed = [r for r, at in rows.items() if self.seen.get(r) != at]
        self.seen = rows
        if changed:
            self.invalidate(changed)
        self.polled_at = time.monotonic()
        self.polling = False


def _token(scope: Scope) -> str | None:
    cookie = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if value[:7].lower() == b"bearer ":
                return value[7:].strip().decode("latin-1")
            return None
        if name == b"cookie":
            cookie = value.decode("latin-1")
    if cookie:
        for part in cookie.split(";"):
            key, _, value = part.strip().partition("=")
            if key == SESSION_COOKIE:
                return value
    return None


def _fill(state: Any, cache: StatusCache, token: str) -> bytes | None:
    """Answer a miss from the database and keep it; None when the ordinary route must answer."""
    settings = state.settings
    version = cache.version
    max_age = settings.session_max_age_seconds
    user_id = read_token(settings.secret_key, token, max_age)
    if user_id is None:
        return None
    # Cached only while the token has that long to live: the cache never outlives a token.
    long_lived = read_token(
        settings.secret_key, token, max(1, int(max_age - CALLER_MAX_AGE_SECONDS))
    )
    with state.sessions() as db:
        # What load_principal finds, less the scope and household this answer does not need:
        # one Core query instead of two ORM ones (half the CPU of a miss).
        caller = db.connection().execute(_CALLER, {"user_id": user_id}).first()
        if caller is None or caller.resident_id is None:
            return None
        if not is_allowed(Role(caller.role), Permission.RISK_STATUS_READ):
            return None
        resident_id = caller.resident_id
        entry = cache.fresh(resident_id)
        if entry is None:  # else only the caller had to be checked again
            out = risk.describe(db, resident_id, now=utcnow())
            db.commit()  # describe may have recomputed an expired status
            changes_at = out.changes_at.timestamp() if out.changes_at else float("inf")
            body = out.model_dump_json().encode()
            entry = _Entry(body, time.monotonic() + MAX_AGE_SECONDS, changes_at)
    if long_lived is not None:
        cache.keep(token, resident_id, entry, version, CALLER_MAX_AGE_SECONDS)
    return entry.body


class RiskStatusFastPath:
    """ASGI middleware answering GET /api/risk-status/me from the cache; everything else, and
    every answer it cannot give, goes to the app. Enable with app.add_middleware."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cache = StatusCache()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != MY_STATUS_PATH or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        token = _token(scope)
        if token is None:
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        self._maybe_poll(state)
        body = self.cache.answer(token)
        if body is None:
            body = await run_in_threadpool(_fill, state, self.cache, token)
            if body is None:
                await self.app(scope, receive, send)
                return
        headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _maybe_poll(self, state: Any) -> None:
        cache = self.cache
        if cache.polling or time.monotonic() - cache.polled_at < POLL_SECONDS:
            return
        cache.polling = True
        threading.Thread(target=cache.poll, args=(state.sessions,), daemon=True).start()
