"""Fixtures for checkpoint tests: a registered device and residents holding passes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from epicontrol.movements import devices
from tests.factories import City, login


@dataclass
class Checkpoint:
    """A device at the m1 community gate and the passes of some residents."""

    headers: dict[str, str]
    place_id: int
    payloads: dict[str, str]
    pass_ids: dict[str, str]


def issue_pass(client: TestClient, username: str) -> dict[str, str]:
    """Issue the pass of a resident login; returns the API answer."""
    response = client.post("/api/passes/me", headers=login(client, username))
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.fixture
def checkpoint(client: TestClient, city: City) -> Iterator[Checkpoint]:
    """A gate device registered by the m1 officer; wang and zhang hold passes."""
    devices.forget_cached_keys()
    response = client.post(
        "/api/devices",
        json={"place_code": "GATE-M1", "name": "east gate scanner"},
        headers=login(client, "officer_m1"),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    issued = {user: issue_pass(client, user) for user in ("resident_wang", "resident_zhang")}
    yield Checkpoint(
        headers={"X-Device-Key": body["api_key"]},
        place_id=body["place_id"],
        payloads={user: p["payload"] for user, p in issued.items()},
        pass_ids={user: p["pass_id"] for user, p in issued.items()},
    )
    devices.forget_cached_keys()
