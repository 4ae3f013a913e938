"""Rate limits on logins (per username and per address, counted in the store: on SQLite and
PostgreSQL, across server processes) and on the anonymous self-check (per process)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.models import LoginFailure
from epicontrol.core.settings import Settings
from epicontrol.web.app import create_app
from epicontrol.web.rate_limits import PUBLIC_WRITES_PER_ADDRESS, LoginThrottle, RollingWindow
from tests.factories import PASSWORD, City


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def small_throttle(client: TestClient, *, per_username: int, per_address: int) -> None:
    """This app's login limits, lowered so that a test needs few argon2 checks."""
    state = client.app.state  # type: ignore[attr-defined]
    settings = state.settings.model_copy(
        update={
            "login_failures_per_username": per_username,
            "login_failures_per_address": per_address,
        }
    )
    state.login_throttle = LoginThrottle.from_settings(settings, state.sessions)


def token(client: TestClient, username: str, password: str) -> tuple[int, dict[str, str]]:
    response = client.post("/api/auth/token", data={"username": username, "password": password})
    return response.status_code, dict(response.headers)


def test_window_refuses_at_the_limit_and_frees_as_events_age_out() -> None:
    clock = Clock()
    window = RollingWindow(3, 60, clock)
    for _ in range(3):
        assert window.retry_after("a") is None
        window.add("a")
        clock.now += 10
    assert window.retry_after("a") == 30  # the first event (t=1000) ages out at 1060; now 1030
    assert window.retry_after("b") is None
    clock.now += 30
    assert window.retry_after("a") is None
    window.clear("a")
    window.add("a")
    assert window.retry_after("a") is None


def test_window_forgets_the_oldest_keys_beyond_its_bound() -> None:
    window = RollingWindow(1, 60, Clock(), max_keys=2)
    for key in ("a", "b", "c"):
        window.add(key)
    assert window.retry_after("a") is None  # forgotten
    assert window.retry_after("b") == 60 and window.retry_after("c") == 60


def test_failed_logins_of_one_username_are_refused_then_the_right_password_too(
    client: TestClient, city: City
) -> None:
    small_throttle(client, per_username=2, per_address=100)
    for _ in range(2):
        assert token(client, "Officer_M1 ", "wrong-password")[0] == 401
    status, headers = token(client, "officer_m1", PASSWORD)  # same name, other spelling
    assert status == 429 and 890 <= int(headers["retry-after"]) <= 900
    assert token(client, "commander", PASSWORD)[0] == 200  # other users are not held up
    page = client.post("/login", data={"username": "officer_m1", "password": PASSWORD})
    assert page.status_code == 429 and "Too many failed logins" in page.text
    assert "retry-after" in page.headers and "epicontrol_session" not in page.cookies


def test_a_success_clears_the_usernames_failures(
    client: TestClient, city: City, db: Session
) -> None:
    small_throttle(client, per_username=2, per_address=100)
    assert token(client, "commander", PASSWORD)[0] == 200
    assert db.scalar(select(func.count()).select_from(LoginFailure)) == 0  # a success writes not
    assert token(client, "officer_m1", "wrong-password")[0] == 401
    assert token(client, "officer_m1", PASSWORD)[0] == 200
    assert token(client, "officer_m1", "wrong-password")[0] == 401
    # Without the clearing, that was the second failure in the window: this would be a 429.
    assert token(client, "officer_m1", PASSWORD)[0] == 200


def test_failures_from_one_address_across_usernames_are_refused(
    client: TestClient, city: City
) -> None:
    small_throttle(client, per_username=100, per_address=2)
    for name in ("a1", "b2"):  # guessing names, each once
        assert token(client, name, "wrong-password")[0] == 401
    assert token(client, "commander", PASSWORD)[0] == 429
    form = client.post("/login", data={"username": "e5", "password": "x"})
    assert form.status_code == 429 and "登录尝试过多" in form.text


def test_anonymous_self_checks_are_limited_per_address(client: TestClient) -> None:
    for _ in range(PUBLIC_WRITES_PER_ADDRESS):  # no symptoms: home advice, each one answered
        assert client.post("/api/public/self-check", json={}).status_code == 200
    refused = client.post("/api/public/self-check", json={})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) <= 60
    assert "Too many requests" in refused.json()["detail"]
    page = client.post("/public/self-check", data={}, headers={"accept": "text/html"})
    assert page.status_code == 429 and "提交过于频繁" in page.text
    assert page.headers["content-type"].startswith("text/html")
    assert client.get("/public/self-check").status_code == 200  # reading the form is not a write


def test_failures_counted_by_one_server_process_hold_in_another(
    settings: Settings, city: City, db: Session
) -> None:
    limited = settings.model_copy(update={"login_failures_per_username": 2})
    with TestClient(create_app(limited)) as first, TestClient(create_app(limited)) as second:
        assert token(first, "officer_m1", "wrong-password")[0] == 401
        assert token(second, "officer_m1", "wrong-password")[0] == 401
        status, headers = token(first, "officer_m1", PASSWORD)
        assert status == 429 and 890 <= int(headers["retry-after"]) <= 900
        assert token(second, "officer_m1", PASSWORD)[0] == 429
    stored = list(db.scalars(select(LoginFailure)))
    assert len(stored) == 2  # a refused attempt is not counted again
    assert all(
        len(row.client_hash) == 64 and "officer" not in str(row.username_hash) for row in stored
    )
