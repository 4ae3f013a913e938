"""Security headers on every kind of answer: a page, an API answer, a fast path's answer, a
static file, an error, and a public page replayed from the cache. SQLite only: the headers are
added outside the app and no answer here depends on the store."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from epicontrol.web.security_headers import HEADERS, _with_security_headers
from tests.browser.conftest import db_url  # noqa: F401
from tests.factories import City, login

EXPECTED = {name.decode(): value.decode() for name, value in HEADERS}


def assert_secured(response: httpx.Response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get_list(name) == [value], (response.url, name)


def test_the_headers_say_what_the_pages_need() -> None:
    assert EXPECTED["x-content-type-options"] == "nosniff"
    assert EXPECTED["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in EXPECTED["content-security-policy"]
    # The checkpoint scans with the camera; the self-check and clinic pages locate the visitor.
    assert "camera=(self)" in EXPECTED["permissions-policy"]
    assert "geolocation=(self)" in EXPECTED["permissions-policy"]
    assert "microphone=()" in EXPECTED["permissions-policy"]


def test_pages_api_static_errors_and_fast_paths_carry_them(client: TestClient, city: City) -> None:
    assert_secured(client.get("/login"))
    assert_secured(client.get("/healthz"))
    assert_secured(client.get("/static/epicontrol.css"))
    assert_secured(client.get("/no-such-page"))
    assert_secured(client.get("/api/me"))  # 401
    resident = login(client, "resident_wang")
    assert_secured(client.get("/api/me", headers=resident))
    status = client.get("/api/risk-status/me", headers=resident)
    assert status.status_code == 200
    assert_secured(status)  # answered by health_code/fast_path.py, outside the router
    assert_secured(client.post("/login", data={"username": "nobody", "password": "x"}))


def test_a_cached_public_page_carries_them_on_every_hit(client: TestClient, city: City) -> None:
    first = client.get("/public/situation?lang=en")
    hit = client.get("/public/situation?lang=en")
    assert first.status_code == 200 and hit.headers.get("x-cache") == "hit"
    assert_secured(first)
    assert_secured(hit)
    zh_hit = client.get("/public/situation?lang=zh"), client.get("/public/situation?lang=zh")
    assert zh_hit[1].headers.get("x-cache") == "hit"
    assert_secured(zh_hit[1])


def test_a_header_the_app_chose_is_kept_not_doubled() -> None:
    own = [(b"X-Frame-Options", b"SAMEORIGIN"), (b"content-type", b"text/html")]
    headers = _with_security_headers(own)
    assert [v for n, v in headers if n.lower() == b"x-frame-options"] == [b"SAMEORIGIN"]
    assert (b"x-content-type-options", b"nosniff") in headers
