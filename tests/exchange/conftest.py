"""Helpers of the exchange tests: logins, and a grant requested by the liaison and decided."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from epicontrol.core.db import utcnow
from tests.factories import City, login

# Division codes of the test city (tests/factories.py).
D1, D2, M1 = "410102", "410103", "410102001001"


@pytest.fixture
def liaison(client: TestClient, city: City) -> dict[str, str]:
    """Bearer headers of the agency liaison (scope: the city)."""
    return login(client, "agency")


@pytest.fixture
def approver(client: TestClient, city: City) -> dict[str, str]:
    """Bearer headers of the commander, who decides grants."""
    return login(client, "commander")


GrantMaker = Callable[..., dict[str, Any]]


@pytest.fixture
def grant_of(client: TestClient, liaison: dict[str, str], approver: dict[str, str]) -> GrantMaker:
    """Request a grant as the liaison and have the commander grant it; returns the grant."""

    def make(
        dataset: str, fields: list[str], divisions: list[str], agency: str = "public_security"
    ) -> dict[str, Any]:
        asked = client.post(
            "/api/exchange/grants",
            headers=liaison,
            json={
                "agency": agency,
                "dataset": dataset,
                "fields": fields,
                "division_codes": divisions,
                "purpose": "locate people under quarantine orders",
                "expires_at": (utcnow() + timedelta(days=7)).isoformat(),
            },
        )
        assert asked.status_code == 201, asked.text
        decided = client.post(
            f"/api/exchange/grants/{asked.json()['id']}/decision",
            headers=approver,
            json={"approve": True},
        )
        assert decided.status_code == 200, decided.text
        result: dict[str, Any] = decided.json()
        return result

    return make
