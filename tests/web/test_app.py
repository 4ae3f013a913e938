"""The app over real HTTP: health, login page, session cookie, the home page."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from tests.factories import PASSWORD, City


def test_live_server_serves_healthz_and_login_page(live_server: str) -> None:
    health = httpx.get(f"{live_server}/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    page = httpx.get(f"{live_server}/login")
    assert page.status_code == 200
    assert 'name="password"' in page.text


def test_live_server_login_sets_cookie_and_shows_scope(live_server: str, city: City) -> None:
    with httpx.Client(base_url=live_server) as browser:
        response = browser.post("/login", data={"username": "officer_m1", "password": PASSWORD})
        assert response.status_code == 303
        home = browser.get("/")
        assert home.status_code == 200
        assert "测试m1" in home.text and "community_officer" in home.text


def test_wrong_password_shows_the_form_again(client: TestClient, city: City) -> None:
    response = client.post("/login", data={"username": "officer_m1", "password": "nope"})
    assert response.status_code == 401
    assert "Wrong username or password" in response.text


def test_anonymous_home_redirects_to_login(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_residents_page_lists_masked_names_only(client: TestClient, city: City) -> None:
    client.post("/login", data={"username": "officer_m1", "password": PASSWORD})
    page = client.get("/residents", params={"division_id": city.divisions["m1"]})
    assert page.status_code == 200
    assert "王**" in page.text
    assert city.names["wang_father"] not in page.text


def test_page_denial_is_a_readable_403(client: TestClient, city: City) -> None:
    client.post("/login", data={"username": "officer_m1", "password": PASSWORD})
    page = client.get(
        "/residents", params={"division_id": city.divisions["m3"]}, headers={"accept": "text/html"}
    )
    assert page.status_code == 403
    assert "outside your scope" in page.text


def test_login_returns_to_the_page_asked_for(client: TestClient, city: City) -> None:
    denied = client.get(
        "/residents",
        params={"division_id": city.divisions["m1"]},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )
    assert denied.status_code == 303
    assert denied.headers["location"].startswith("/login?next=/residents")
    response = client.post(
        "/login",
        data={"username": "officer_m1", "password": PASSWORD, "next": "/residents?division_id=1"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/residents?division_id=1"


def test_login_never_redirects_off_site(client: TestClient, city: City) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(
            "/login",
            data={"username": "officer_m1", "password": PASSWORD, "next": target},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"
