"""The public-page cache: hits skip the app, keys vary by language, logins are never cached."""

from __future__ import annotations

import asyncio
import gzip
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epicontrol.cases.models import Case
from epicontrol.core.db import utcnow
from epicontrol.core.local_time import local_date
from epicontrol.portal.cache import PublicPageCache
from tests.async_support import run_async
from tests.factories import City, login
from tests.portal.test_feed import SAMPLE

Answer = tuple[int, dict[str, str], bytes]


class Page:
    """A small ASGI app: counts its calls, answers with the call number and what it was asked."""

    def __init__(
        self, *, status: int = 200, cookie: bool = False, delay: float = 0.0, padding: int = 0
    ) -> None:
        self.calls = 0
        self.status, self.cookie, self.delay, self.padding = status, cookie, delay, padding

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls += 1
        call = self.calls
        if self.delay:
            await asyncio.sleep(self.delay)
        headers = [(b"content-type", b"text/plain")]
        if self.cookie:
            headers.append((b"set-cookie", b"flash=1"))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        body = f"call {call} {scope['method']} {scope['path']}?{scope['query_string'].decode()}"
        body += "确诊" * self.padding
        await send({"type": "http.response.body", "body": body.encode()})


async def _ask(
    app: Any, path: str, *, query: str = "", headers: dict[str, str] | None = None, method="GET"
) -> Answer:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    head = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], head, b"".join(m.get("body", b"") for m in sent[1:])


def ask(app: Any, path: str, **options: Any) -> Answer:
    return run_async(_ask(app, path, **options))


def test_second_request_is_answered_without_the_app_until_it_expires() -> None:
    page = Page()
    cache = PublicPageCache(page, ttl_seconds=0.3)
    first = ask(cache, "/public/situation")
    second = ask(cache, "/public/situation")
    assert page.calls == 1 and second[2] == first[2] == b"call 1 GET /public/situation?"
    assert second[1].get("x-cache") == "hit" and "x-cache" not in first[1]
    assert ask(cache, "/public/situation", query="a=1")[2].startswith(b"call 2")  # another key
    time.sleep(0.35)
    assert ask(cache, "/public/situation")[2].startswith(b"call 3")


def test_large_answers_are_sent_gzipped_to_clients_that_accept_it() -> None:
    page = Page(padding=2000)
    cache = PublicPageCache(page)
    plain = ask(cache, "/public/facts")
    packed = ask(cache, "/public/facts", headers={"Accept-Encoding": "gzip, br"})
    again = ask(cache, "/public/facts")
    assert page.calls == 1 and "content-encoding" not in again[1] and again[2] == plain[2]
    assert packed[1]["content-encoding"] == "gzip" and packed[1]["vary"] == "accept-encoding"
    assert gzip.decompress(packed[2]) == plain[2] and len(packed[2]) < len(plain[2]) / 10
    small = PublicPageCache(Page())
    ask(small, "/public/x")
    assert "content-encoding" not in ask(small, "/public/x", headers={"Accept-Encoding": "gzip"})[1]


def test_language_is_part_of_the_key() -> None:
    page = Page()
    cache = PublicPageCache(page)
    zh = ask(cache, "/public", headers={"Accept-Language": "zh-CN"})
    en = ask(cache, "/public", headers={"Accept-Language": "en-GB"})
    assert (zh[2], en[2]) == (b"call 1 GET /public?", b"call 2 GET /public?")
    assert ask(cache, "/public", headers={"Cookie": "lang=en"})[2] == en[2]
    assert ask(cache, "/public", headers={"Accept-Language": "fr"})[2] == zh[2]  # the default
    assert page.calls == 2


def test_logged_in_visitors_are_never_served_nor_stored() -> None:
    page = Page()
    cache = PublicPageCache(page)
    for headers in (
        {"Cookie": "epicontrol_session=abc; lang=zh"},
        {"Authorization": "Bearer abc"},
        {"Cookie": "other=1"},
    ):
        assert ask(cache, "/public/masks", headers=headers)[2].startswith(b"call")
    assert page.calls == 3 and not cache.entries
    anonymous = ask(cache, "/public/masks")
    assert ask(cache, "/public/masks", headers={"Authorization": "Bearer abc"}) != anonymous
    assert page.calls == 5


def test_only_plain_200_gets_under_the_prefixes_are_kept() -> None:
    for app, path, method in (
        (Page(cookie=True), "/public/x", "GET"),
        (Page(status=404), "/public/x", "GET"),
        (Page(), "/publicity", "GET"),
        (Page(), "/dashboard", "GET"),
        (Page(), "/public/x", "HEAD"),
    ):
        cache = PublicPageCache(app)
        ask(cache, path, method=method)
        ask(cache, path, method=method)
        assert app.calls == 2 and not cache.entries, (path, method)


def test_size_is_bounded_least_recently_used_out_first() -> None:
    page = Page()
    cache = PublicPageCache(page, max_entries=2)
    for path in ("/public/a", "/public/b", "/public/a", "/public/c"):
        ask(cache, path)
    assert [key[0] for key in cache.entries] == ["/public/a", "/public/c"]
    assert page.calls == 3


def test_concurrent_misses_render_once_and_logged_in_writes_clear() -> None:
    page = Page(delay=0.05)
    cache = PublicPageCache(page)

    async def rush() -> list[Answer]:
        return await asyncio.gather(*(_ask(cache, "/public/situation") for _ in range(50)))

    answers = run_async(rush())
    assert page.calls == 1 and {a[2] for a in answers} == {b"call 1 GET /public/situation?"}
    ask(cache, "/api/public/tips", method="POST")  # anonymous: publishes nothing
    assert ask(cache, "/public/situation")[1].get("x-cache") == "hit"
    order = {"method": "POST", "headers": {"Authorization": "Bearer r"}}
    ask(cache, "/public/masks/reserve", **order)  # a rush of orders leaves the pages cached
    assert ask(cache, "/public/situation")[1].get("x-cache") == "hit"
    ask(cache, "/api/articles/1/withdraw", method="POST", headers={"Authorization": "Bearer a"})
    assert ask(cache, "/public/situation")[2].startswith(b"call 5")


def test_the_app_serves_public_pages_from_the_cache_per_language(
    client: TestClient, city: City, db: Session
) -> None:
    first = client.get("/public/situation?lang=en")
    assert first.status_code == 200 and "x-cache" not in first.headers
    db.add(
        Case(
            case_number="C-CACHE1",
            resident_id=city.residents["neighbour"],
            division_id=city.divisions["g1"],
            status="confirmed",
            report_date=local_date(utcnow()),
            created_by="test",
        )
    )
    db.commit()
    again = client.get("/public/situation?lang=en")
    assert again.headers.get("x-cache") == "hit" and again.text == first.text  # not re-rendered
    assert again.headers["content-encoding"] == "gzip"  # httpx asks for gzip, as browsers do
    assert again.headers["set-cookie"].startswith("lang=en")  # ?lang= is still remembered
    chinese = client.get("/public/situation?lang=zh")
    assert "x-cache" not in chinese.headers and "实时疫情" in chinese.text

    officer = login(client, "commander")
    own = client.get("/api/public/situation", headers=officer)
    assert "x-cache" not in own.headers and own.json()["local"]["confirmed"]["total"] == 1
    cached = client.get("/api/public/situation").json()
    assert client.get("/api/public/situation").headers.get("x-cache") == "hit"
    assert cached["local"]["confirmed"]["total"] == 1
    # An officer's import clears the cache: the next anonymous visitor sees the new figures.
    sample = SAMPLE.read_bytes()
    imported = client.post("/api/portal/feed", files={"file": ("f.csv", sample)}, headers=officer)
    assert imported.status_code == 200 and cached["nation"] is None
    fresh = client.get("/api/public/situation")
    assert "x-cache" not in fresh.headers and fresh.json()["nation"]["region_code"] == "CN"
