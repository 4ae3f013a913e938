"""CSRF protection (web/csrf.py): every post form renders the token; a cookie-authenticated write
without it, or from another site, is refused before it stores anything; bearer-token and
anonymous writes are not asked for it. SQLite only: the check runs before any route."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.auth import SESSION_COOKIE
from epicontrol.health_code.models import RiskAppeal
from epicontrol.web import csrf
from tests.browser.conftest import db_url  # noqa: F401
from tests.factories import PASSWORD, City, login

PACKAGE = Path(csrf.__file__).resolve().parent.parent
POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post[\"']?[^>]*>(.*?)</form>", re.S | re.I)
TOKEN_IN_PAGE = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')


def log_in(client: TestClient, username: str) -> None:
    answer = client.post("/login", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 200 and client.cookies.get(SESSION_COOKIE), answer.text


def token_from_page(client: TestClient, path: str) -> str:
    """The token as a browser finds it: in the page's form."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = TOKEN_IN_PAGE.search(page.text)
    assert found and found.group(1), f"{path} renders no csrf token"
    return found.group(1)


def appeals(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(RiskAppeal)) or 0


def test_every_post_form_in_every_template_renders_the_field() -> None:
    missing = []
    templates = sorted(PACKAGE.glob("**/templates/**/*.html"))
    assert len(templates) > 50
    for template in templates:
        for form in POST_FORM.finditer(template.read_text(encoding="utf-8")):
            if "csrf_field()" not in form.group(1):
                line = form.string.count("\n", 0, form.start()) + 1
                missing.append(f"{template.relative_to(PACKAGE)}:{line}")
    assert not missing, "post forms without {{ csrf_field() }}: " + ", ".join(missing)


def test_pages_render_the_token_of_their_session(client: TestClient, city: City) -> None:
    anonymous = client.get("/login")
    assert 'name="csrf_token" value=""' in anonymous.text  # no session: nothing to bind to
    log_in(client, "resident_wang")
    token = token_from_page(client, "/risk-status")
    session = client.cookies.get(SESSION_COOKIE) or ""
    assert token == csrf.token_for(client.app.state.settings.secret_key, session)  # type: ignore[attr-defined]
    page = client.get("/risk-status").text
    assert f'"X-CSRF-Token": "{token}"' in page  # htmx sends it as a header (base.html)
    assert f'<meta name="csrf-token" content="{token}">' in page  # fetch() reads it


def test_a_cookie_write_without_the_token_is_refused_and_stores_nothing(
    client: TestClient, city: City, db: Session
) -> None:
    log_in(client, "resident_wang")
    before = appeals(db)
    refused = client.post("/risk-status/appeal", data={"reason": "I was at home all week"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    wrong = client.post("/risk-status/appeal", data={"reason": "home", "csrf_token": "0" * 64})
    assert wrong.status_code == 403
    api = client.post("/api/risk-status/me/appeals", json={"reason": "I was at home all week"})
    assert api.status_code == 403 and "CSRF" in api.json()["detail"]
    assert appeals(db) == before


def test_the_form_field_or_the_header_lets_the_write_through(
    client: TestClient, city: City, db: Session
) -> None:
    log_in(client, "resident_wang")
    token = token_from_page(client, "/risk-status")
    before = appeals(db)
    data = {"reason": "I was at home all week", "csrf_token": token}
    filed = client.post("/risk-status/appeal", data=data, follow_redirects=False)
    assert filed.status_code == 303 and appeals(db) == before + 1
    # A multipart form (an upload): the field comes first, a file with blank lines after it.
    upload = client.post(
        "/risk-status/appeal",
        data=data,
        files={"attachment": ("note.txt", b"line\r\n\r\nmore\r\n", "text/plain")},
        follow_redirects=False,
    )
    assert upload.status_code != 403, upload.text
    # htmx and fetch() send the header; a JSON body has no field.
    second = client.post(
        "/api/risk-status/me/appeals",
        json={"reason": "still at home"},
        headers={csrf.HEADER: token},
    )
    assert second.status_code != 403, second.text


def test_a_cross_origin_write_is_refused_even_with_the_token(
    client: TestClient, city: City, db: Session
) -> None:
    log_in(client, "resident_wang")
    token = token_from_page(client, "/risk-status")
    data = {"reason": "I was at home all week", "csrf_token": token}
    before = appeals(db)
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
    ):
        refused = client.post("/risk-status/appeal", data=data, headers=headers)
        assert refused.status_code == 403, headers
    assert appeals(db) == before
    same = client.post(
        "/risk-status/appeal",
        data=data,
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert same.status_code == 303


def test_bearer_token_and_anonymous_writes_need_no_token(client: TestClient, city: City) -> None:
    log_in(client, "resident_wang")  # the cookie jar holds a session cookie too
    bearer = login(client, "resident_wang")
    filed = client.post(
        "/api/risk-status/me/appeals", json={"reason": "I was at home all week"}, headers=bearer
    )
    assert filed.status_code == 201, filed.text
    client.cookies.clear()
    check = client.post("/api/public/self-check", json={})
    assert check.status_code != 403  # anonymous: a 422 for the empty body, not a CSRF refusal


@pytest.mark.parametrize(
    ("content_type", "body", "found"),
    [
        ("application/x-www-form-urlencoded", b"a=1&csrf_token=abc&b=2", "abc"),
        (
            "multipart/form-data; boundary=XX",
            b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\nx,y\r\n"
            b'--XX\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\nabc\r\n--XX--\r\n',
            "abc",
        ),
        (  # the field first, a file after it: the value ends at the field's own part
            "multipart/form-data; boundary=XX",
            b'--XX\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\nabc\r\n'
            b'--XX\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\nx,y\r\n--XX--\r\n",
            "abc",
        ),
        (  # a file called csrf_token is not the field
            "multipart/form-data; boundary=XX",
            b'--XX\r\nContent-Disposition: form-data; name="f"; filename="csrf_token"\r\n'
            b"\r\nabc\r\n--XX--\r\n",
            "",
        ),
        ("application/json", b'{"csrf_token": "abc"}', ""),
    ],
)
def test_the_token_is_found_in_urlencoded_and_multipart_forms(
    content_type: str, body: bytes, found: str
) -> None:
    assert csrf._token_in_body(body, content_type) == found


def test_logging_in_needs_no_token_but_must_come_from_this_site(
    client: TestClient, city: City
) -> None:
    log_in(client, "resident_wang")
    again = client.post("/login", data={"username": "commander", "password": PASSWORD})
    assert again.status_code == 200  # a stale or other session cookie: the password decides
    forced = client.post(
        "/login",
        data={"username": "commander", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert forced.status_code == 403  # login CSRF: another site logging the visitor in
    client.cookies.clear()
    assert (
        client.post(
            "/api/auth/token",
            data={"username": "commander", "password": PASSWORD},
            headers={"Origin": "https://evil.example"},
        ).status_code
        == 403
    )
