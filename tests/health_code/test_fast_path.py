"""The fast path of GET /api/risk-status/me: same answers as the route, never stale for longer
than a poll when another process rewrites a status."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epicontrol.health_code import status
from epicontrol.health_code.fast_path import POLL_SECONDS, RiskStatusFastPath
from tests.factories import City, login
from tests.health_code.records import add_case, add_fever


def _fast_path(client: TestClient) -> RiskStatusFastPath:
    layer = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, RiskStatusFastPath):
        layer = layer.app
    return layer


def test_fast_path_answers_as_the_route_does(client: TestClient, db: Session, city: City) -> None:
    add_fever(db, city.residents["wang_father"])
    db.commit()
    headers = login(client, "resident_wang")
    first = client.get("/api/risk-status/me", headers=headers)
    cached = client.get("/api/risk-status/me", headers=headers)
    route = client.get(
        f"/api/residents/{city.residents['wang_father']}/risk-status", headers=headers
    )
    assert first.status_code == cached.status_code == route.status_code == 200
    assert first.json() == cached.json() == route.json()
    assert cached.headers["content-type"] == "application/json"
    assert client.get("/api/risk-status/me").status_code == 401  # no token: the route answers
    staff = client.get("/api/risk-status/me", headers=login(client, "officer_m1"))
    assert staff.status_code == 404
    bad = client.get("/api/risk-status/me", headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401


def test_change_by_another_process_reaches_the_cache_within_a_poll(
    client: TestClient, db: Session, city: City
) -> None:
    headers = login(client, "resident_zhang")
    assert client.get("/api/risk-status/me", headers=headers).json()["colour"] == "green"
    fast = _fast_path(client)
    add_case(db, city.residents["neighbour"])
    db.commit()
    # As if another process had committed it: this process's own counter is not the signal.
    fast.cache.generation = status.generation.value
    time.sleep(POLL_SECONDS * 1.5)
    client.get("/api/risk-status/me", headers=headers)  # starts a poll if one is due
    deadline = time.monotonic() + 5
    colour = "green"
    while colour == "green" and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        colour = client.get("/api/risk-status/me", headers=headers).json()["colour"]
    assert colour == "red"
