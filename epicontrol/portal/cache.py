"""A small pure-ASGI cache of public pages for anonymous visitors, so that a rush is answered
from memory (Ningxiang's app took three million visits in one night).

What is cached: the 200 answers to anonymous GETs under the given path prefixes (/public and
/api/public), keyed by path, query string and language (core/i18n.scope_language), for
TTL_SECONDS. What never is: a request with a session cookie, a bearer token or any cookie but
the language one (a logged-in visitor's page is theirs alone); an answer that sets a cookie,
says `Cache-Control: private` or `no-store`, or is larger than MAX_BODY_BYTES. The cache keeps
at most MAX_ENTRIES answers, least recently used out first.

Answers of 1 KB or more are also kept gzipped (compressed once when stored), and a hit is sent
gzipped to the browsers that accept it: a phone page of 8-12 KB travels as 2-3 KB.

Concurrent misses of one key wait for the first one's answer instead of all rendering the page
(a cold or expired entry under a rush costs one render, not hundreds).

A logged-in write that succeeds (a non-GET answered below 400: an officer publishing or
withdrawing, an import), other than the PERSONAL_WRITES, empties this process's cache, so
that its effect shows at once there; answers being rendered meanwhile are not kept. Anonymous
writes (a self-check, a tip) publish nothing and leave it alone. Each server process has its
own cache: another worker's pages, and changes made outside the web app (the CLI, a job), show
within TTL_SECONDS.
"""

from __future__ import annotations

import asyncio
import gzip
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from epicontrol.core.i18n import COOKIE as LANGUAGE_COOKIE
from epicontrol.core.i18n import scope_language

PREFIXES = ("/public", "/api/public")
READS = frozenset({"GET", "HEAD", "OPTIONS"})
TTL_SECONDS = 15.0
MAX_ENTRIES = 1024
MAX_BODY_BYTES = 1_000_000
# A waiter gives up on a slow first render after this long and asks the app itself.
WAIT_SECONDS = 10.0
HIT_HEADER = (b"x-cache", b"hit")
GZIP_FROM_BYTES = 1024
VARY = (b"vary", b"accept-encoding")
UNCACHEABLE = (b"private", b"no-store", b"no-cache")
# Writes that change only the writer's own records (a mask order, a pickup, a consultation
# booking): they come in rushes and the public pages they touch (a round's remaining supply)
# may lag by TTL_SECONDS, so they leave the cache alone rather than empty it on every order.
PERSONAL_WRITES = (
    "/public/masks/reserve",
    "/api/supplies/reservations",
    "/api/supplies/pickups",
    "/supplies/pickup",
    "/public/consult/",
    "/api/consultations",
    # A resident's or company's own applications and reports publish nothing: the resumption
    # whitelist changes by an officer's decision (/enterprises/review), which does clear.
    "/public/me/",
    "/public/market/",
    "/labour/",
    "/api/labour/",
    "/market/",
    "/api/market/",
    "/enterprise/",
    "/api/enterprises/mine/",
)

Key = tuple[str, bytes, str]


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """A complete answer: status, headers, body, and when it stops being served."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    until: float
    gzipped: bytes | None = None  # the body gzipped, for clients that accept it


def _with_gzip(answer: CachedAnswer) -> CachedAnswer:
    """The answer with a gzipped body added, where that is worth it and allowed."""
    if len(answer.body) < GZIP_FROM_BYTES:
        return answer
    if any(name.lower() in (b"content-encoding", b"vary") for name, _ in answer.headers):
        return answer  # already encoded, or varying by a header the key does not hold
    packed = gzip.compress(answer.body, compresslevel=6, mtime=0)
    headers = [*answer.headers, VARY]
    return CachedAnswer(answer.status, headers, answer.body, answer.until, packed)


def accepts_gzip(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """True when the request's Accept-Encoding names gzip."""
    return any(name == b"accept-encoding" and b"gzip" in value for name, value in headers)


def is_anonymous(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """True when the request carries no login and no cookie but the language one."""
    for name, value in headers:
        if name == b"authorization":
            return False
        if name == b"cookie":
            for item in value.decode("latin-1").split(";"):
                key = item.strip().partition("=")[0]
                if key and key != LANGUAGE_COOKIE:
                    return False  # the session cookie, or anything else a page might read
    return True


def is_cacheable(status: int, headers: list[tuple[bytes, bytes]]) -> bool:
    """A 200 that sets no cookie and does not ask to stay private."""
    if status != 200:
        return False
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"set-cookie":
            return False
        if lowered == b"cache-control" and any(word in value.lower() for word in UNCACHEABLE):
            return False
    return True


class PublicPageCache:
    """ASGI middleware: `app.add_middleware(PublicPageCache)` (web/app.py: inside the
    language middleware, so the language is already chosen and `?lang=`'s cookie is added
    after the cache, on hits as on misses)."""

    def __init__(
        self,
        app: ASGIApp,
        prefixes: tuple[str, ...] = PREFIXES,
        ttl_seconds: float = TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.app = app
        self.prefixes = prefixes
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self.entries: OrderedDict[Key, CachedAnswer] = OrderedDict()
        self.pending: dict[Key, asyncio.Future[CachedAnswer | None]] = {}
        self.generation = 0  # moves on every clear: a fill begun before it is not kept

    def _applies(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        path: str = scope["path"]
        if not any(path == p or path.startswith(p + "/") for p in self.prefixes):
            return False
        return is_anonymous(scope["headers"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._applies(scope):
            if scope["type"] == "http" and scope["method"] not in READS:
                await self._write(scope, receive, send)
            else:
                await self.app(scope, receive, send)
            return
        key: Key = (scope["path"], scope["query_string"], scope_language(scope))
        answer = self.fresh(key)
        if answer is None and key in self.pending:
            answer = await self._wait(self.pending[key])
            if answer is None:  # the first answer was not kept (an error, say): ask the app
                await self.app(scope, receive, send)
                return
        if answer is not None:
            await _replay(answer, send, gzipped=accepts_gzip(scope["headers"]))
            return
        await self._fill(key, scope, receive, send)

    def clear(self) -> None:
        """Forget every answer, and any being rendered now."""
        self.generation += 1
        self.entries.clear()

    async def _write(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass a write on; a logged-in one that succeeded clears the cache."""
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            personal = scope["path"].startswith(PERSONAL_WRITES)
            if 0 < status < 400 and not personal and not is_anonymous(scope["headers"]):
                self.clear()

    def fresh(self, key: Key) -> CachedAnswer | None:
        """The stored answer for `key` if it may still be served."""
        answer = self.entries.get(key)
        if answer is None:
            return None
        if answer.until <= time.monotonic():
            del self.entries[key]
            return None
        self.entries.move_to_end(key)
        return answer

    async def _wait(self, future: asyncio.Future[CachedAnswer | None]) -> CachedAnswer | None:
        try:
            return await asyncio.wait_for(asyncio.shield(future), WAIT_SECONDS)
        except (TimeoutError, asyncio.CancelledError):
            return None

    async def _fill(self, key: Key, scope: Scope, receive: Receive, send: Send) -> None:
        """Ask the app, passing its answer on as it comes, and keep it if it may be kept."""
        future: asyncio.Future[CachedAnswer | None] = asyncio.get_running_loop().create_future()
        self.pending[key] = future
        generation = self.generation
        status, headers, body, keep = 0, [], bytearray(), True

        async def capture(message: Message) -> None:
            nonlocal status, headers, keep
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
                keep = is_cacheable(status, headers)
            elif message["type"] == "http.response.body" and keep:
                body.extend(message.get("body", b""))
                keep = len(body) <= MAX_BODY_BYTES
            await send(message)

        answer = None
        try:
            await self.app(scope, receive, capture)
            if keep and status and generation == self.generation:
                until = time.monotonic() + self.ttl
                answer = _with_gzip(CachedAnswer(status, headers, bytes(body), until))
                self._store(key, answer)
        finally:
            if self.pending.get(key) is future:
                del self.pending[key]
            future.set_result(answer)

    def _store(self, key: Key, answer: CachedAnswer) -> None:
        self.entries[key] = answer
        self.entries.move_to_end(key)
        while len(self.entries) > self.max_entries:
            self.entries.popitem(last=False)


async def _replay(answer: CachedAnswer, send: Send, *, gzipped: bool) -> None:
    body, headers = answer.body, [*answer.headers, HIT_HEADER]
    if gzipped and answer.gzipped is not None:
        body = answer.gzipped
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers += [(b"content-encoding", b"gzip"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
